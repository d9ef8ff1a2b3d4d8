// Writes CodeHashes.swift, run by the CodeHashPlugin at build time:
//   CodeHasher <output.swift> <Sources directory> <file>…
// It holds two tables:
// - `codeHashes`: each source file that decides results (its path under Sources/) to the FNV-1a 64-bit hash of its
//   code. Lines that are only a comment (`//`, `///`) are left out of the hash, so that documenting a field never
//   retrains an experiment; every other byte counts, lines of multi-line string literals included. An experiment's
//   smoke config sits after a line `// MARK: - Smoke` at the end of its file; the lines from that mark on are left
//   out too, so that tuning the smoke run never retrains the paper.
// - `fieldDocs`: the `///` doc comment of every stored property, keyed "Type.property" (what `paper config` prints).
//   A type is the innermost `struct`/`class`/`enum`/`extension` declared at a smaller indentation than the property.

import Foundation

let args = CommandLine.arguments
guard args.count >= 3 else {
    FileHandle.standardError.write(Data("usage: CodeHasher <output.swift> <Sources directory> <file>…\n".utf8))
    exit(2)
}
let root = URL(fileURLWithPath: args[2]).standardizedFileURL.path + "/"
var rows: [(String, String)] = []
var docs: [String: String] = [:]

/// Records the doc comment of every stored property (`var`/`let` names, comma-separated ones included).
@MainActor func collectDocs(_ lines: [Substring]) {
    var types: [(indent: Int, name: String)] = []
    var pending: [String] = []
    for raw in lines {
        let indent = raw.prefix(while: { $0 == " " }).count
        let line = raw.dropFirst(indent)
        if line.hasPrefix("///") {
            pending.append(line.dropFirst(3).trimmingCharacters(in: .whitespaces))
            continue
        }
        if line.hasPrefix("@") { continue }  // an attribute between the doc and its declaration
        defer { pending = [] }
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let modifiers: Set<String> = ["public", "private", "fileprivate", "internal", "final", "static", "indirect", "nonisolated"]
        let rest = words.drop { modifiers.contains($0) }
        guard let kind = rest.first else { continue }
        if ["struct", "class", "enum", "extension", "actor"].contains(kind), rest.count > 1 {
            while let last = types.last, last.indent >= indent { types.removeLast() }
            let name = rest.dropFirst().first!.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
            types.append((indent, String(name)))
            continue
        }
        guard kind == "var" || kind == "let", !pending.isEmpty, !words.contains("static") else { continue }
        while let last = types.last, last.indent >= indent { types.removeLast() }
        guard let owner = types.last else { continue }
        // `var a, b: Int`, `var a = 1, b = 2` or `var a: [Double] = f(1, 2)`: each top-level comma-separated part
        // names one property, before its ':' or '='.
        guard let at = words.firstIndex(of: kind) else { continue }
        let head = words[(at + 1)...].joined(separator: " ")
        var parts: [String] = [], cur = "", depth = 0
        for ch in head {
            if "([{<".contains(ch) { depth += 1 } else if ")]}>".contains(ch) { depth -= 1 }
            if ch == "," && depth == 0 { parts.append(cur); cur = "" } else { cur.append(ch) }
        }
        parts.append(cur)
        let names = parts.map { $0.prefix { $0 != ":" && $0 != "=" && $0 != "{" }.trimmingCharacters(in: .whitespaces) }
        for n in names where !n.isEmpty && n.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
            docs[owner.name + "." + n] = pending.joined(separator: " ")
        }
    }
}

/// The line after which a file's smoke config begins (left out of its hash).
let smokeMark = "// MARK: - Smoke"

for path in args.dropFirst(3) {
    let full = URL(fileURLWithPath: path).standardizedFileURL.path
    guard full.hasPrefix(root), let data = FileManager.default.contents(atPath: full) else {
        FileHandle.standardError.write(Data("CodeHasher: cannot read \(path) under \(root)\n".utf8))
        exit(1)
    }
    let text = String(decoding: data, as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    var inString = false  // inside a multi-line string literal, where `//` starts no comment
    for line in lines {
        let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
        if !inString && trimmed.hasPrefix(smokeMark) { break }
        let isComment = !inString && trimmed.hasPrefix("//")
        if line.components(separatedBy: "\"\"\"").count % 2 == 0 { inString.toggle() }
        if isComment { continue }
        for b in line.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        h = (h ^ 0x0A) &* 0x0000_0100_0000_01b3
    }
    collectDocs(lines)
    let hex = String(h, radix: 16)
    rows.append((String(full.dropFirst(root.count)), String(repeating: "0", count: 16 - hex.count) + hex))
}
rows.sort { $0.0 < $1.0 }
var text = "// Generated at build time by CodeHasher (Plugins/CodeHashPlugin). Do not edit.\n\n"
text += "/// FNV-1a 64 of each source file that decides results, by its path under Sources/.\n"
text += "let codeHashes: [String: String] = [\n"
for (p, h) in rows { text += "    \"\(p)\": \"\(h)\",\n" }
text += "]\n\n"
text += "/// The `///` doc comment of every stored property, keyed \"Type.property\".\n"
text += "let fieldDocs: [String: String] = [\n"
for (k, v) in docs.sorted(by: { $0.key < $1.key }) {
    let escaped = v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    text += "    \"\(k)\": \"\(escaped)\",\n"
}
text += "]\n"
let out = URL(fileURLWithPath: args[1])
if (try? String(contentsOf: out, encoding: .utf8)) != text {
    try text.write(to: out, atomically: true, encoding: .utf8)
}
