// The figures' font: DejaVu Sans loaded with FreeType from a fixed file (fonts-dejavu-core), never through
// fontconfig, so that every machine draws the same glyphs.

import CCairo
import Foundation

/// Where the fonts are read from.
public enum FontFiles {
    public static let regular = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    public static let bold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
}

/// Errors of the plotting layer.
public enum PlotError: Error, CustomStringConvertible {
    case fontMissing(String)
    case cairo(String)
    public var description: String {
        switch self {
        case .fontMissing(let p): return "font file \(p) is missing: install the Debian package fonts-dejavu-core"
        case .cairo(let s): return "cairo: \(s)"
        }
    }
}

/// The two loaded font faces, created once per process.
final class Fonts: @unchecked Sendable {
    let regular: OpaquePointer
    let bold: OpaquePointer

    private init() throws {
        var lib: FT_Library?
        guard FT_Init_FreeType(&lib) == 0, let lib else { throw PlotError.cairo("FreeType did not initialise") }
        func load(_ path: String) throws -> OpaquePointer {
            guard FileManager.default.fileExists(atPath: path) else { throw PlotError.fontMissing(path) }
            var face: FT_Face?
            guard FT_New_Face(lib, path, 0, &face) == 0, let face else { throw PlotError.fontMissing(path) }
            return cairo_ft_font_face_create_for_ft_face(face, 0)
        }
        regular = try load(FontFiles.regular)
        bold = try load(FontFiles.bold)
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var loaded: Fonts?

    static func shared() throws -> Fonts {
        lock.lock(); defer { lock.unlock() }
        if let f = loaded { return f }
        let f = try Fonts()
        loaded = f
        return f
    }
}
