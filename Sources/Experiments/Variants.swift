// Variants of an experiment without writing Swift: its config as JSON (`paper config`), overridden field by field
// (`--set recipe.steps=2000`) or from a file (`--config my.json`), checked against the defaults' types, decoded
// into the experiment's own config type and validated by the experiment. A bad key or value is a one-line error
// that names it; nothing is trained or written before every override has been checked.
//
//   paper config uniform                                   every field, its default and its doc line
//   paper run uniform --set n=200 --set m=20 --seeds 3     a variant, written to runs/uniform-<hash>/

import Engine
import Foundation

/// A JSON value with integers kept apart from reals, so that a field's type can be checked before decoding.
public indirect enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let u = try? c.decode(UInt64.self) { self = .uint(u) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .uint(let u): try c.encode(u)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Parses JSON text (fragments allowed: `3`, `true`, `"x"`).
    public static func parse(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    /// What a field of this value's type is called in messages.
    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "true or false"
        case .int, .uint: return "an integer"
        case .double: return "a number"
        case .string: return "a string"
        case .array(let a): return a.first.map { "a list of \($0.typeName.replacingOccurrences(of: "an ", with: "").replacingOccurrences(of: "a ", with: ""))s" } ?? "a list"
        case .object: return "an object"
        }
    }

    var isNumber: Bool { switch self { case .int, .uint, .double: return true; default: return false } }
    var isInteger: Bool {
        switch self {
        case .int, .uint: return true
        case .double(let d): return d.rounded() == d && abs(d) < 9.0e15
        default: return false
        }
    }

    /// Compact JSON text, for messages and listings.
    public var text: String { String(decoding: (try? canonicalJSON(self)) ?? Data(), as: UTF8.self) }
}

/// One field of an experiment's config as `paper config` lists it.
public struct ConfigField: Sendable, Equatable {
    /// The dotted path (`recipe.steps`).
    public var key: String
    public var value: JSONValue
    /// The field's `///` doc comment in the source, if it has one.
    public var doc: String?
    /// Whether the field holds reals (Double or Float, or lists of them): a whole number is written `1` in JSON, so
    /// the value alone cannot say that `2.5` fits.
    public var real: Bool = false
}

/// Why a variant could not be made: one line, naming the key or value.
public struct VariantError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ s: String) { description = s }
}

public enum Variant {
    /// The config's fields in the encoder's order (sorted keys), nested configs flattened to dotted keys; a value
    /// that is a list or a plain value is a leaf. Docs come from the build's table of `///` comments, matched
    /// through the value's own types (Mirror), so that a nested field finds its type's doc.
    static func fields<C: Encodable>(of config: C) -> [ConfigField] {
        let tree = Variant.tree(of: config)
        var out: [ConfigField] = []
        func walk(_ value: JSONValue, _ mirror: Any?, _ prefix: String) {
            guard case .object(let obj) = value else { return }
            let m = mirror.map(Mirror.init(reflecting:))
            let typeName = mirror.map { String(describing: type(of: $0)) } ?? ""
            for key in obj.keys.sorted() {
                let child = m.map(fieldChildren)?.first { $0.label == key }?.value
                let path = prefix.isEmpty ? key : prefix + "." + key
                if case .object = obj[key]!, let child, Mirror(reflecting: child).displayStyle == .struct {
                    walk(obj[key]!, child, path)
                } else {
                    let real = child is Double || child is Float || child is [Double] || child is [Float] || child is [[Double]]
                        || child is [[Float]]
                    out.append(ConfigField(key: path, value: obj[key]!, doc: fieldDocs[typeName + "." + key], real: real))
                }
            }
        }
        walk(tree, config, "")
        return out
    }

    /// A value's stored fields by name, an `@Added` field (stored as `_name`) under its own name with its value.
    static func fieldChildren(_ mirror: Mirror) -> [(label: String, value: Any)] {
        mirror.children.compactMap { child in
            guard let label = child.label else { return nil }
            if let added = child.value as? AddedFieldValue, label.hasPrefix("_") { return (String(label.dropFirst()), added.anyValue) }
            return (label, child.value)
        }
    }

    /// The config as a JSON tree, with the plain fields that an `@Added` field leaves out at its default
    /// (`TrainingRecipe.cosine` when false, so that old cache keys hold) put back from the value itself, so that
    /// every field can be listed and set. Decoding takes them either way.
    static func tree<C: Encodable>(of config: C) -> JSONValue {
        guard let tree = try? JSONDecoder().decode(JSONValue.self, from: canonicalJSON(config)) else { return .null }
        func complete(_ v: JSONValue, _ value: Any) -> JSONValue {
            guard case .object(var o) = v else { return v }
            for child in fieldChildren(Mirror(reflecting: value)) {
                let label = child.label
                if let existing = o[label] {
                    o[label] = complete(existing, child.value)
                } else if let b = child.value as? Bool { o[label] = .bool(b) }
                else if let i = child.value as? Int { o[label] = .int(Int64(i)) }
                else if let d = child.value as? Double { o[label] = .double(d) }
                else if let f = child.value as? Float { o[label] = .double(Double(f)) }
                else if let s = child.value as? String { o[label] = .string(s) }
            }
            return .object(o)
        }
        return complete(tree, config)
    }

    /// Applies `--config` file values, then `--set key=value` overrides, to the default config tree. Every key must
    /// exist and every value must have the default's type.
    public static func apply(defaults: JSONValue, reals: Set<String> = [], file: JSONValue?, sets: [String], experiment: String) throws -> JSONValue {
        var tree = defaults
        if let file {
            var values = file
            // `paper config`'s own output, edited: its config.
            if case .object(let o) = file, let c = o["config"], o["experiment"] != nil {
                if case .string(let name) = o["experiment"]!, name != experiment {
                    throw VariantError("the config file is for experiment '\(name)', not '\(experiment)'")
                }
                values = c
                // `fields` only describes `config` (`paper config` prints both); it is not read.
            }
            guard case .object = values else { throw VariantError("the config file must hold a JSON object of config fields") }
            try merge(values, into: &tree, path: "", experiment: experiment, reals: reals)
        }
        for s in sets {
            guard let eq = s.firstIndex(of: "=") else { throw VariantError("--set \(s): expected key=value") }
            let key = String(s[..<eq]).trimmingCharacters(in: .whitespaces), raw = String(s[s.index(after: eq)...])
            guard !key.isEmpty else { throw VariantError("--set \(s): the key is empty") }
            let old = try lookup(key, in: tree, experiment: experiment)
            try set(key, to: try value(raw, like: old, key: key, reals: reals), in: &tree)
        }
        return tree
    }

    /// `raw` read as the type of `old`: JSON text, or a bare string for a string field, or a comma list for a list.
    static func value(_ raw: String, like old: JSONValue, key: String, reals: Set<String>) throws -> JSONValue {
        let text = raw.trimmingCharacters(in: .whitespaces)
        let parsed: JSONValue
        if case .array(let items) = old, !text.hasPrefix("[") {
            // A comma list: each element JSON, or a bare word where the list holds strings.
            let words = items.first.map { if case .string = $0 { return true } else { return false } } ?? false
            parsed = .array(try splitTopLevel(text).map { e in
                if let v = try? JSONValue.parse(e) { return v }
                if words { return .string(e) }
                throw VariantError("\(key)=\(raw): \(e) is not a value; \(key) takes \(old.typeName) (default \(old.text))")
            })
        } else if let v = try? JSONValue.parse(text) { parsed = v }
        else if case .string = old { parsed = .string(raw) }
        else { throw VariantError("\(key)=\(raw): not a value; \(key) takes \(old.typeName) (default \(old.text))") }
        return try conform(parsed, to: old, key: key, reals: reals)
    }

    /// `new` checked against the type of `old` (integers where the default is an integer; a number where it is a real).
    static func conform(_ new: JSONValue, to old: JSONValue, key: String, reals: Set<String>) throws -> JSONValue {
        func wrong() -> VariantError { VariantError("\(key)=\(new.text): \(key) takes \(old.typeName) (default \(old.text))") }
        // The field this value sits in (`x[3]` is in `x`).
        let field = String(key.prefix { $0 != "[" })
        switch (old, new) {
        case (.bool, .bool), (.string, .string): return new
        case (.int, _) where reals.contains(field), (.uint, _) where reals.contains(field):
            guard new.isNumber else { throw VariantError("\(key)=\(new.text): \(key) takes a number (default \(old.text))") }
            return new
        case (.int, _), (.uint, _):
            guard new.isNumber else { throw wrong() }
            guard new.isInteger else { throw VariantError("\(key)=\(new.text): \(key) takes an integer (default \(old.text))") }
            if case .double(let d) = new { return .int(Int64(d)) }
            return new
        case (.double, _):
            guard new.isNumber else { throw wrong() }
            return new
        case (.array(let a), .array(let b)):
            guard let first = a.first else { return new }
            return .array(try b.enumerated().map { try conform($0.element, to: first, key: "\(key)[\($0.offset)]", reals: reals) })
        case (.object(var tree), .object(let values)):
            // A nested config given whole: each of its fields checked in turn.
            for (k, v) in values.sorted(by: { $0.key < $1.key }) {
                guard let o = tree[k] else {
                    throw VariantError("unknown key '\(key).\(k)'; close keys: \(near(k, in: old).split(separator: ",").map { "\(key).\($0.trimmingCharacters(in: .whitespaces))" }.joined(separator: ", "))")
                }
                tree[k] = try conform(v, to: o, key: key + "." + k, reals: reals)
            }
            return .object(tree)
        case (.null, _): return new
        default: throw wrong()
        }
    }

    static func merge(_ values: JSONValue, into tree: inout JSONValue, path: String, experiment: String?, reals: Set<String>) throws {
        guard case .object(let o) = values else { return }
        for (k, v) in o.sorted(by: { $0.key < $1.key }) {
            let key = path.isEmpty ? k : path + "." + k
            let old = try lookup(key, in: tree, experiment: experiment)
            try set(key, to: try conform(v, to: old, key: key, reals: reals), in: &tree)
        }
    }

    static func lookup(_ key: String, in tree: JSONValue, experiment: String?) throws -> JSONValue {
        var node = tree
        for part in key.split(separator: ".", omittingEmptySubsequences: false) {
            guard case .object(let o) = node, let next = o[String(part)] else {
                throw VariantError("unknown key '\(key)'\(experiment.map { " for \($0)" } ?? ""); close keys: \(near(key, in: tree)) (see `paper config \(experiment ?? "<experiment>")`)")
            }
            node = next
        }
        return node
    }

    static func set(_ key: String, to value: JSONValue, in tree: inout JSONValue) throws {
        func go(_ node: inout JSONValue, _ parts: ArraySlice<Substring>) {
            guard case .object(var o) = node, let head = parts.first else { node = value; return }
            var child = o[String(head)] ?? .null
            go(&child, parts.dropFirst())
            o[String(head)] = child
            node = .object(o)
        }
        go(&tree, key.split(separator: ".", omittingEmptySubsequences: false)[...])
    }

    /// The known keys nearest to `key` (by shared prefix and edit distance), at most four.
    static func near(_ key: String, in tree: JSONValue) -> String {
        var keys: [String] = []
        func walk(_ v: JSONValue, _ p: String) {
            guard case .object(let o) = v else { return }
            for (k, x) in o { let q = p.isEmpty ? k : p + "." + k; keys.append(q); walk(x, q) }
        }
        walk(tree, "")
        func distance(_ a: String, _ b: String) -> Int {
            let a = Array(a.lowercased()), b = Array(b.lowercased())
            var row = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var prev = row[0]; row[0] = i
                for j in 1...max(b.count, 1) where !b.isEmpty {
                    let cur = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                    prev = cur
                }
            }
            return row[b.count]
        }
        return keys.sorted { (distance(key, $0), $0) < (distance(key, $1), $1) }.prefix(4).joined(separator: ", ")
    }
}

extension AnyExperiment {
    /// The experiment's config as a JSON tree.
    public var configTree: JSONValue { treeBody() }

    /// The same experiment with `config` (a full config tree) and `seeds` independent seeds. Seeds whose key equals
    /// this experiment's use its cache entries; any other seed gets a content-keyed entry (`id-<key hash>`), so a
    /// variant never overwrites the paper's results and a repeated variant trains nothing.
    public func variant(config: JSONValue, seeds: Int? = nil) throws -> AnyExperiment {
        if let seeds, seeds < 1 || seeds > 100 { throw VariantError("--seeds \(seeds): the number of seeds must be 1…100") }
        let v = try makeVariant(try canonicalJSON(config), seeds ?? keys.count)
        do { try v.validate() } catch { throw VariantError("\(error)".replacingOccurrences(of: "\n", with: " ")) }
        return v.sharingCache(with: self)
    }

    /// Makes a variant from `--config` and `--set` values.
    public func variant(file: JSONValue?, sets: [String], seeds: Int?) throws -> AnyExperiment {
        let reals = Set(configFields.filter(\.real).map(\.key))
        return try variant(config: try Variant.apply(defaults: configTree, reals: reals, file: file, sets: sets, experiment: id), seeds: seeds)
    }

    /// Every field of the config, its value and doc line.
    public var configFields: [ConfigField] { fieldsBody() }
}

/// A short content hash of a cache key (16 hex digits).
func keyHash(_ key: String) -> String {
    let h = String(fnv1a64(Array(key.utf8)), radix: 16)
    return String(repeating: "0", count: 16 - h.count) + h
}

/// Pretty JSON with sorted keys, for what the CLI prints.
public func jsonText<T: Encodable>(_ v: T) throws -> Data { try canonicalJSON(v, pretty: true) }
