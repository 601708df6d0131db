/// JSON numbers that are always valid JSON: a non-finite value (NaN, ±Inf) is written as `null`
/// and `null` is read back as NaN, so a metrics file never holds the strings "NaN" or "Infinity"
/// that JSON readers (Python's `json`, `jq`) reject or mistake for text.
extension KeyedEncodingContainer {
    /// `value`, or null when it is nil or not finite.
    public mutating func encodeFinite(_ value: Double?, forKey key: Key) throws {
        if let value, value.isFinite { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    /// `values`, each non-finite one as null.
    public mutating func encodeFinite(_ values: [Double], forKey key: Key) throws {
        try encode(values.map { $0.isFinite ? $0 : nil }, forKey: key)
    }
}

extension KeyedDecodingContainer {
    /// A number written by `encodeFinite`: null (or a legacy "NaN" string the decoder accepts) is NaN.
    public func decodeFinite(_ key: Key) throws -> Double {
        try decodeIfPresent(Double.self, forKey: key) ?? .nan
    }

    /// An optional number: absent or null is nil.
    public func decodeFiniteIfPresent(_ key: Key) throws -> Double? {
        try decodeIfPresent(Double.self, forKey: key)
    }

    /// A list written by `encodeFinite`: null entries are NaN.
    public func decodeFiniteList(_ key: Key) throws -> [Double] {
        try decode([Double?].self, forKey: key).map { $0 ?? .nan }
    }
}
