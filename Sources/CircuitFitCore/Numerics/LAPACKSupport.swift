import COpenBLAS

/// Small helpers around LAPACKE's C calling convention.
/// LAPACKE's `lapack_int` (a C macro Swift cannot import): 32-bit on Debian's build.
typealias LapackInt = Int32

enum LAPACK {
    static let rowMajor = Int32(LAPACK_ROW_MAJOR)
    @inline(__always) static func char(_ c: Character) -> CChar { CChar(UInt8(ascii: c.unicodeScalars.first!)) }

    /// Throws a CircuitFitError naming the routine when LAPACK reports a failure.
    static func check(_ info: LapackInt, _ routine: String) throws {
        if info < 0 { throw CircuitFitError("\(routine): argument \(-info) had an illegal value") }
        if info > 0 { throw CircuitFitError("\(routine): failed to converge or matrix is singular (info = \(info))") }
    }
}

extension Matrix where Element == Double {
    func requireSquare(_ what: String) throws {
        if rows != cols { throw CircuitFitError("\(what): matrix must be square, got \(rows)×\(cols)") }
    }
    func requireFinite(_ what: String) throws {
        if !data.allSatisfy({ $0.isFinite }) { throw CircuitFitError("\(what): matrix contains NaN or Inf") }
    }
}
