// How a config or spec gains a field without changing the cache keys of the runs that do not use it: the field is
// declared `@Added<Default>`, which writes it only when it differs from its default and reads a missing one as the
// default. This is the one place where that rule lives; the types themselves keep the compiler's Codable.
//
//     /// Cosine decay of the learning rate (false: constant).
//     @Added<False> public var cosine: Bool
//
// Tests: EngineTests/AddedFieldTests.swift (old JSON decodes, default values encode to nothing, others round-trip).

/// The default value of an added field.
public protocol AddedDefault {
    associatedtype Value: Codable & Equatable & Hashable & Sendable
    static var value: Value { get }
}

/// A field added after cache keys existed: omitted from the encoding while it holds `D.value`, and decoded as `D.value`
/// when absent.
@propertyWrapper
public struct Added<D: AddedDefault>: Codable, Equatable, Hashable, Sendable {
    public var wrappedValue: D.Value
    public init(wrappedValue: D.Value) { self.wrappedValue = wrappedValue }
    public init() { wrappedValue = D.value }

    public init(from decoder: Decoder) throws { wrappedValue = try D.Value(from: decoder) }
    public func encode(to encoder: Encoder) throws { try wrappedValue.encode(to: encoder) }
}

/// What a reflecting reader (`paper config`) needs of an added field: its value, untyped.
public protocol AddedFieldValue { var anyValue: Any { get } }
extension Added: AddedFieldValue { public var anyValue: Any { wrappedValue } }

extension KeyedEncodingContainer {
    /// Writes an added field only when it is not its default.
    public mutating func encode<D>(_ field: Added<D>, forKey key: Key) throws {
        if field.wrappedValue != D.value { try encode(field.wrappedValue, forKey: key) }
    }
}

extension KeyedDecodingContainer {
    /// Reads an added field, its default when absent.
    public func decode<D>(_ type: Added<D>.Type, forKey key: Key) throws -> Added<D> {
        Added(wrappedValue: try decodeIfPresent(D.Value.self, forKey: key) ?? D.value)
    }
}

/// Default false.
public enum False: AddedDefault { public static let value = false }
/// Default 0.
public enum Zero: AddedDefault { public static let value: Float = 0 }
/// Default: a linear hidden layer.
public enum LinearHidden: AddedDefault { public static let value = HiddenActivation.linear }
