import CHDF5
import Foundation
import CircuitFitCore

/// An HDF5 file opened read-only through libhdf5 (NWB recordings, MATLAB v7.3 MAT files).
///
/// Objects are addressed by absolute paths such as "/units/spike_times". Reads return values in
/// HDF5's own (C, row-major) order together with the shape HDF5 reports; integer and float data
/// are converted by libhdf5 to the requested memory type. Every failure is a one-line
/// `CircuitFitError` naming the file and the object path; HDF5's automatic error printing is off.
///
/// Safety: every handle opened here is closed before the call returns (or, for the file, when the
/// value is released); sizes read from the file are checked for overflow and against the bytes the
/// dataset actually stores before anything is allocated (`maximumExpansion`). libhdf5 is not
/// re-entrant, so all calls into it are serialised by one process-wide lock.
public final class HDF5File {
    /// The file as given to `init(url:)`.
    public let url: URL
    private let fileID: hid_t

    /// The largest number of bytes a dataset may decode to, relative to the bytes it stores in
    /// the file (compressed data can expand; a corrupted size field must not make us allocate
    /// gigabytes). Datasets up to `minimumReadLimit` bytes are always allowed.
    static let maximumExpansion = 1024
    static let minimumReadLimit = 16 << 20
    /// Never read more than this from one dataset (4 GiB).
    static let absoluteReadLimit = 4 << 30

    /// Opens `url` read-only. A file that is not HDF5 gives "PATH: not an HDF5 file".
    public init(url: URL) throws {
        self.url = url
        let path = url.path
        fileID = try HDF5Library.serialized {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw CircuitFitError("cannot read \(path): no such file")
            }
            guard !isFolder.boolValue else { throw CircuitFitError("cannot read \(path): is a directory") }
            guard FileManager.default.isReadableFile(atPath: path) else { throw CircuitFitError("cannot read \(path): permission denied") }
            guard H5Fis_hdf5(path) > 0 else { throw CircuitFitError("\(path): not an HDF5 file") }
            let id = H5Fopen(path, cf_h5f_acc_rdonly(), cf_h5p_default())
            guard id >= 0 else { throw CircuitFitError("\(path): HDF5 cannot open the file (damaged or unsupported format version)") }
            return id
        }
    }

    deinit {
        HDF5Library.serialized { _ = H5Fclose(fileID) }
    }

    /// What an object in the file is.
    public enum ObjectKind: Sendable, Equatable {
        case group, dataset, other
    }

    /// The stored class of a dataset's or attribute's values.
    public enum ValueClass: Sendable, Equatable {
        case integer, float, string, objectReference, other
    }

    /// Shape and class of a dataset, read without reading its values.
    public struct DatasetInfo: Sendable, Equatable {
        /// Sizes of the dimensions, outermost first (HDF5 order); [] for a scalar.
        public var shape: [Int]
        public var valueClass: ValueClass
        /// Number of values (1 for a scalar).
        public var count: Int { shape.reduce(1, *) }
    }

    /// Values read from a dataset, in HDF5's row-major order, with its shape ([] for a scalar).
    public struct Values<Element: Sendable>: Sendable {
        public var shape: [Int]
        public var values: [Element]
    }

    // MARK: Structure

    /// "PATH: OBJECT: problem", the form of every error about an object.
    func failure(_ object: String, _ problem: String) -> CircuitFitError {
        CircuitFitError("\(url.path): \(object): \(problem)")
    }

    /// The kind of the object at `path`, or nil when there is none.
    public func kind(of path: String) -> ObjectKind? {
        HDF5Library.serialized {
            guard linkExists(path) else { return nil }
            switch cf_h5_object_type(fileID, path) {
            case H5I_GROUP: return .group
            case H5I_DATASET: return .dataset
            case H5I_BADID: return nil
            default: return .other
            }
        }
    }

    /// Whether every link on `path` exists (H5Lexists must be asked one component at a time).
    private func linkExists(_ path: String) -> Bool {
        if path == "/" { return true }
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            guard H5Lexists(fileID, prefix, cf_h5p_default()) > 0 else { return false }
        }
        return true
    }

    /// Names of the members of the group at `path`, sorted.
    public func members(of path: String) throws -> [String] {
        try HDF5Library.serialized {
            let group = try open(path, expecting: .group)
            defer { _ = H5Oclose(group) }
            var info = H5G_info_t()
            guard H5Gget_info(group, &info) >= 0 else { throw failure(path, "cannot list the group's members") }
            guard info.nlinks <= 100_000 else { throw failure(path, "claims \(info.nlinks) members (damaged file?)") }
            var names: [String] = []
            for index in 0..<info.nlinks {
                let length = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, cf_h5p_default())
                guard length >= 0, length < 65536 else { throw failure(path, "cannot read the name of member \(index)") }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                guard H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, cf_h5p_default()) >= 0 else {
                    throw failure(path, "cannot read the name of member \(index)")
                }
                names.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return names.sorted()
        }
    }

    /// Shape and value class of the dataset at `path`.
    public func info(_ path: String) throws -> DatasetInfo {
        try withDataset(path) { _, _, type, shape in
            DatasetInfo(shape: shape, valueClass: valueClass(of: type))
        }
    }

    // MARK: Datasets

    /// The numeric (integer or float) dataset at `path`, converted to Double.
    public func readDoubles(_ path: String) throws -> Values<Double> {
        try readNumbers(path, memoryType: cf_h5t_native_double(), classes: [.integer, .float], zero: 0.0)
    }

    /// The numeric or enumeration dataset at `path` (e.g. h5py's booleans, an enum FALSE = 0,
    /// TRUE = 1), each value converted to Double (an enumeration value by its integer).
    public func readDoublesOrEnumeration(_ path: String) throws -> Values<Double> {
        try readNumbers(path, memoryType: cf_h5t_native_double(), classes: [.integer, .float], enumerations: true, zero: 0.0)
    }

    /// The integer dataset at `path`, converted to Int64 (a float dataset is an error).
    public func readInt64s(_ path: String) throws -> Values<Int64> {
        try readNumbers(path, memoryType: cf_h5t_native_int64(), classes: [.integer], zero: Int64(0))
    }

    /// The string dataset at `path` (variable- or fixed-length; fixed-length strings lose their
    /// NUL or space padding).
    public func readStrings(_ path: String) throws -> Values<String> {
        try withDataset(path) { dataset, space, type, shape in
            guard valueClass(of: type) == .string else {
                throw failure(path, "holds \(describe(type)), expected strings")
            }
            let strings = try readStrings(count: shape.reduce(1, *), fileType: type, space: space, object: path, storageBytes: storageSize(of: dataset)) {
                memoryType, buffer in H5Dread(dataset, memoryType, cf_h5s_all(), cf_h5s_all(), cf_h5p_default(), buffer)
            }
            return Values(shape: shape, values: strings)
        }
    }

    /// The paths of the objects an object-reference dataset at `path` points to (MATLAB v7.3
    /// cell arrays), in the dataset's row-major order.
    public func readObjectReferences(_ path: String) throws -> Values<String> {
        try withDataset(path) { dataset, space, type, shape in
            guard valueClass(of: type) == .objectReference else {
                throw failure(path, "holds \(describe(type)), expected object references")
            }
            let count = try checkedCount(shape, elementSize: MemoryLayout<hobj_ref_t>.size, storage: storageSize(of: dataset), path)
            var references = [hobj_ref_t](repeating: 0, count: max(count, 1))
            guard H5Dread(dataset, cf_h5t_std_ref_obj(), cf_h5s_all(), cf_h5s_all(), cf_h5p_default(), &references) >= 0 else {
                throw failure(path, "cannot read the references (damaged data?)")
            }
            var targets: [String] = []
            for index in 0..<count {
                var reference = references[index]
                let object = H5Rdereference2(dataset, cf_h5p_default(), H5R_OBJECT, &reference)
                guard object >= 0 else { throw failure(path, "reference \(index) points to nothing") }
                defer { _ = H5Oclose(object) }
                targets.append(try objectName(object, path))
            }
            return Values(shape: shape, values: targets)
        }
    }

    // MARK: Internals (call only inside HDF5Library.serialized; shared with HDF5Attributes.swift)

    /// Opens the object at `path` (checking its kind when `expecting` is given); the caller closes it.
    func open(_ path: String, expecting: ObjectKind?) throws -> hid_t {
        guard linkExists(path) else { throw failure(path, "not found") }
        let object = H5Oopen(fileID, path, cf_h5p_default())
        guard object >= 0 else { throw failure(path, "cannot be opened (damaged file?)") }
        if let expecting {
            let type = H5Iget_type(object)
            let actual: ObjectKind = type == H5I_GROUP ? .group : type == H5I_DATASET ? .dataset : .other
            guard actual == expecting else {
                _ = H5Oclose(object)
                throw failure(path, "is a \(actual), expected a \(expecting)")
            }
        }
        return object
    }

    func openAttribute(_ name: String, of path: String) throws -> hid_t? {
        let object = try open(path, expecting: nil)
        defer { _ = H5Oclose(object) }
        let exists = H5Aexists(object, name)
        guard exists >= 0 else { throw failure(path, "cannot read its attributes (damaged file?)") }
        guard exists > 0 else { return nil }
        let attribute = H5Aopen(object, name, cf_h5p_default())
        guard attribute >= 0 else { throw failure(path, "attribute '\(name)' cannot be opened") }
        return attribute
    }

    func shape(of space: hid_t, _ object: String) throws -> [Int] {
        guard space >= 0 else { throw failure(object, "has no readable dataspace") }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0, rank <= 32 else { throw failure(object, "has an unreadable shape") }
        if H5Sget_simple_extent_type(space) == H5S_NULL { return [0] }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        guard rank == 0 || H5Sget_simple_extent_dims(space, &dims, nil) == rank else {
            throw failure(object, "has an unreadable shape")
        }
        guard dims.allSatisfy({ $0 <= hsize_t(Int.max) }) else { throw failure(object, "has an impossible shape \(dims)") }
        return dims.map { Int($0) }
    }

    func valueClass(of type: hid_t) -> ValueClass {
        switch H5Tget_class(type) {
        case H5T_INTEGER: return .integer
        case H5T_FLOAT: return .float
        case H5T_STRING: return .string
        case H5T_REFERENCE: return H5Tequal(type, cf_h5t_std_ref_obj()) > 0 ? .objectReference : .other
        default: return .other
        }
    }

    /// "integers", "compound values", … for messages.
    func describe(_ type: hid_t) -> String {
        switch H5Tget_class(type) {
        case H5T_INTEGER: return "integers"
        case H5T_FLOAT: return "floating-point numbers"
        case H5T_STRING: return "strings"
        case H5T_REFERENCE: return "references"
        case H5T_COMPOUND: return "compound values"
        case H5T_ENUM: return "enumeration values"
        case H5T_VLEN: return "variable-length sequences"
        case H5T_ARRAY: return "array values"
        case H5T_OPAQUE: return "opaque bytes"
        case H5T_BITFIELD: return "bit fields"
        default: return "values of an unknown type"
        }
    }

    /// Bytes the dataset occupies in the file.
    private func storageSize(of dataset: hid_t) -> Int {
        Int(clamping: H5Dget_storage_size(dataset))
    }

    /// The element count of `shape`, after checking it cannot overflow and that decoding it to
    /// `elementSize`-byte values stays within the read limits for `storage` stored bytes.
    func checkedCount(_ shape: [Int], elementSize: Int, storage: Int, _ object: String) throws -> Int {
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw failure(object, "shape \(shape) is too large (damaged file?)") }
            count = product
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
        let (expanded, expansionOverflow) = storage.multipliedReportingOverflow(by: Self.maximumExpansion)
        let limit = min(Self.absoluteReadLimit, max(Self.minimumReadLimit, expansionOverflow ? Int.max : expanded))
        guard !overflow, bytes <= limit else {
            throw failure(object, "shape \(shape) needs more memory than its \(storage) stored bytes can hold (damaged file?)")
        }
        return count
    }

    /// Opens the dataset at `path` with its dataspace, datatype and shape for `body`, and closes
    /// them all afterwards, under the library lock.
    private func withDataset<R>(_ path: String, _ body: (hid_t, hid_t, hid_t, [Int]) throws -> R) throws -> R {
        try HDF5Library.serialized {
            let dataset = try open(path, expecting: .dataset)
            defer { _ = H5Dclose(dataset) }
            let space = H5Dget_space(dataset), type = H5Dget_type(dataset)
            defer { _ = H5Sclose(space); _ = H5Tclose(type) }
            return try body(dataset, space, type, try shape(of: space, path))
        }
    }

    private func readNumbers<T: Sendable>(_ path: String, memoryType: hid_t, classes: [ValueClass], enumerations: Bool = false, zero: T) throws -> Values<T> {
        try withDataset(path) { dataset, space, type, shape in
            guard classes.contains(valueClass(of: type)) || (enumerations && H5Tget_class(type) == H5T_ENUM) else {
                let wanted = classes == [.integer] ? "integers" : "numbers"
                throw failure(path, "holds \(describe(type)), expected \(wanted)")
            }
            let count = try checkedCount(shape, elementSize: MemoryLayout<T>.size, storage: storageSize(of: dataset), path)
            var values = [T](repeating: zero, count: count)
            if count > 0 {
                let status = values.withUnsafeMutableBytes {
                    H5Dread(dataset, memoryType, cf_h5s_all(), cf_h5s_all(), cf_h5p_default(), $0.baseAddress)
                }
                guard status >= 0 else { throw failure(path, "cannot read the values (damaged data, or a value out of range)") }
            }
            return Values(shape: shape, values: values)
        }
    }

    /// Reads `count` strings of file type `fileType` with `read(memoryType, buffer)`, handling
    /// variable-length strings (freed with H5Dvlen_reclaim) and fixed-length ones.
    func readStrings(
        count: Int, fileType: hid_t, space: hid_t, object: String, storageBytes: Int,
        read: (hid_t, UnsafeMutableRawPointer?) -> herr_t
    ) throws -> [String] {
        let memoryType = H5Tcopy(cf_h5t_c_s1())
        guard memoryType >= 0 else { throw failure(object, "cannot prepare a string type") }
        defer { _ = H5Tclose(memoryType) }
        _ = H5Tset_cset(memoryType, H5Tget_cset(fileType))
        if H5Tis_variable_str(fileType) > 0 {
            _ = H5Tset_size(memoryType, cf_h5t_variable())
            let checked = try checkedCount([count], elementSize: MemoryLayout<UnsafeMutablePointer<CChar>?>.size, storage: storageBytes, object)
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: max(checked, 1))
            let status = pointers.withUnsafeMutableBytes { read(memoryType, $0.baseAddress) }
            guard status >= 0 else { throw failure(object, "cannot read the strings (damaged data?)") }
            let strings = pointers.prefix(checked).map { $0.map { String(cString: $0) } ?? "" }
            _ = pointers.withUnsafeMutableBytes { H5Dvlen_reclaim(memoryType, space, cf_h5p_default(), $0.baseAddress) }
            return strings
        }
        let width = H5Tget_size(fileType)
        guard width > 0, width < 1 << 20 else { throw failure(object, "has an implausible string width \(width)") }
        _ = H5Tset_size(memoryType, width)
        _ = H5Tset_strpad(memoryType, H5Tget_strpad(fileType))  // NULLTERM would drop the last character
        let total = try checkedCount([count, width], elementSize: 1, storage: storageBytes, object)
        var bytes = [UInt8](repeating: 0, count: max(total, 1))
        let status = bytes.withUnsafeMutableBytes { read(memoryType, $0.baseAddress) }
        guard status >= 0 else { throw failure(object, "cannot read the strings (damaged data?)") }
        return (0..<count).map { index in
            let field = bytes[index * width..<(index + 1) * width].prefix { $0 != 0 }
            let text = String(decoding: field, as: UTF8.self)
            return String(text.reversed().drop { $0 == " " }.reversed())
        }
    }

    private func objectName(_ object: hid_t, _ context: String) throws -> String {
        let length = H5Iget_name(object, nil, 0)
        guard length > 0, length < 65536 else { throw failure(context, "a referenced object has no name") }
        var buffer = [CChar](repeating: 0, count: length + 1)
        guard H5Iget_name(object, &buffer, buffer.count) > 0 else { throw failure(context, "a referenced object has no name") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
