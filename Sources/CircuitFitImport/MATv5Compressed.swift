import CircuitFitCore

extension MATv5Parser {
    /// The bytes of a `miCOMPRESSED` element (a zlib stream holding one data element), inflated
    /// a piece at a time: first the inner element's 8-byte tag, which declares its size; then
    /// exactly that many bytes (checked against zlib's 1032× ratio and the memory budget before
    /// they are inflated). A stream that holds more than its tag declares is damage, as is one
    /// that ends early: a decompression bomb is stopped at the declared size, never allocated.
    func inflateCompressed(_ data: ArraySlice<UInt8>, at offset: Int) throws -> [UInt8] {
        let where_ = "compressed element at byte \(offset)"
        func failure(_ error: Error) -> CircuitFitError {
            switch error as? Inflater.Failure {
            case .truncated?: return corrupt("\(where_) ends early (truncated zlib stream)")
            case .corrupt(let why)?: return corrupt("\(where_) does not inflate (\(why))")
            case nil: return error as? CircuitFitError ?? corrupt("\(where_): \(error)")
            }
        }
        do {
            let inflater = try Inflater(data, format: .zlib)
            var out: [UInt8] = []
            try inflater.read(into: &out, upTo: 8)
            guard out.count == 8 else { throw corrupt("\(where_) holds \(out.count) bytes, too few for an element") }
            func word(_ i: Int) -> UInt32 {
                let b = out[i..<i + 4].map { UInt32($0) }
                return bigEndian ? (b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]) : (b[3] << 24 | b[2] << 16 | b[1] << 8 | b[0])
            }
            let first = word(0)
            // a small element (size in the first word) holds at most 4 bytes after its tag
            let size = first >> 16 != 0 ? 0 : Int(word(4))
            let declared = 8 + size
            let ratioLimit = MemorySize.sum(MemorySize.product(data.count, 1032), 1024)
            guard declared <= ratioLimit else {
                throw corrupt("\(where_) declares an element of \(size) bytes, more than its \(data.count) compressed bytes can hold")
            }
            try MemoryBudget.requireIfLarge(MemorySize.product(declared, 3), for: "\(file): a compressed MAT variable of \(MemoryBudget.format(size))")
            out.reserveCapacity(min(declared, 1 << 26))  // grows past this only as real bytes arrive
            while out.count < declared && !inflater.finished {
                try inflater.read(into: &out, upTo: min(declared - out.count, 1 << 24))
            }
            guard out.count == declared else {
                throw corrupt("\(where_) inflates to \(out.count) bytes but its element declares \(declared)")
            }
            // MATLAB and scipy end the stream right after the element; allow only its padding
            var padding: [UInt8] = []
            try inflater.read(into: &padding, upTo: 8)
            guard padding.count < 8, padding.allSatisfy({ $0 == 0 }), try !inflater.hasMore() else {
                throw corrupt("\(where_) inflates to more than the \(declared) bytes its element declares")
            }
            return out
        } catch { throw failure(error) }
    }
}
