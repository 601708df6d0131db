import CHDF5
import CircuitFitCore

/// Attributes of HDF5 objects: NWB's `neurodata_type`, TimeSeries `rate`/`conversion`/`unit`,
/// MATLAB's `MATLAB_class`.
extension HDF5File {
    /// Names of the attributes of the object at `path`, sorted.
    public func attributeNames(of path: String) throws -> [String] {
        try HDF5Library.serialized {
            let object = try open(path, expecting: nil)
            defer { _ = H5Oclose(object) }
            var names: [String] = []
            var index: hsize_t = 0
            while names.count < 10_000 {
                let length = H5Aget_name_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, cf_h5p_default())
                if length < 0 { break }
                guard length < 65536 else { throw failure(path, "attribute \(index) has an implausible name") }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                guard H5Aget_name_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, cf_h5p_default()) >= 0 else { break }
                names.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
                index += 1
            }
            return names.sorted()
        }
    }

    /// The string attribute `name` of the object at `path` (the first string when it holds
    /// several), or nil when the object has no such attribute.
    public func stringAttribute(_ name: String, of path: String) throws -> String? {
        try HDF5Library.serialized {
            guard let attribute = try openAttribute(name, of: path) else { return nil }
            defer { _ = H5Aclose(attribute) }
            let space = H5Aget_space(attribute), type = H5Aget_type(attribute)
            defer { _ = H5Sclose(space); _ = H5Tclose(type) }
            let object = "\(path) attribute '\(name)'"
            guard valueClass(of: type) == .string else { throw failure(object, "holds \(describe(type)), expected a string") }
            let count = try shape(of: space, object).reduce(1, *)
            let strings = try readStrings(count: count, fileType: type, space: space, object: object, storageBytes: 0) {
                memoryType, buffer in H5Aread(attribute, memoryType, buffer)
            }
            return strings.first
        }
    }

    /// The numeric attribute `name` of the object at `path` (its first value), or nil when the
    /// object has no such attribute.
    public func doubleAttribute(_ name: String, of path: String) throws -> Double? {
        try HDF5Library.serialized {
            guard let attribute = try openAttribute(name, of: path) else { return nil }
            defer { _ = H5Aclose(attribute) }
            let space = H5Aget_space(attribute), type = H5Aget_type(attribute)
            defer { _ = H5Sclose(space); _ = H5Tclose(type) }
            let object = "\(path) attribute '\(name)'"
            guard [.integer, .float].contains(valueClass(of: type)) else {
                throw failure(object, "holds \(describe(type)), expected a number")
            }
            let count = try checkedCount(shape(of: space, object), elementSize: 8, storage: 0, object)
            guard count >= 1 else { throw failure(object, "is empty, expected a number") }
            var values = [Double](repeating: 0, count: count)
            guard H5Aread(attribute, cf_h5t_native_double(), &values) >= 0 else { throw failure(object, "cannot be read") }
            return values[0]
        }
    }
}
