// Writes CodeHashes.swift: a table from each source file that decides results (its path under Sources/) to the
// FNV-1a 64-bit hash of its bytes. Run by the CodeHashPlugin at build time:
//   CodeHasher <output.swift> <Sources directory> <file>…

import Foundation

let args = CommandLine.arguments
guard args.count >= 3 else {
    FileHandle.standardError.write(Data("usage: CodeHasher <output.swift> <Sources directory> <file>…\n".utf8))
    exit(2)
}
let root = URL(fileURLWithPath: args[2]).standardizedFileURL.path + "/"
var rows: [(String, String)] = []
for path in args.dropFirst(3) {
    let full = URL(fileURLWithPath: path).standardizedFileURL.path
    guard full.hasPrefix(root), let data = FileManager.default.contents(atPath: full) else {
        FileHandle.standardError.write(Data("CodeHasher: cannot read \(path) under \(root)\n".utf8))
        exit(1)
    }
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in data { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    let hex = String(h, radix: 16)
    rows.append((String(full.dropFirst(root.count)), String(repeating: "0", count: 16 - hex.count) + hex))
}
rows.sort { $0.0 < $1.0 }
var text = "// Generated at build time by CodeHasher (Plugins/CodeHashPlugin). Do not edit.\n\n"
text += "/// FNV-1a 64 of each source file that decides results, by its path under Sources/.\n"
text += "let codeHashes: [String: String] = [\n"
for (p, h) in rows { text += "    \"\(p)\": \"\(h)\",\n" }
text += "]\n"
let out = URL(fileURLWithPath: args[1])
if (try? String(contentsOf: out, encoding: .utf8)) != text {
    try text.write(to: out, atomically: true, encoding: .utf8)
}
