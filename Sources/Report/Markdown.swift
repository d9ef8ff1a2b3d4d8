// Markdown to HTML through cmark-gfm (GitHub's parser) with the table, strikethrough and autolink extensions;
// raw HTML passes through, since the report's own placeholders emit it.

import CCmark
import Foundation

public enum Markdown {
    /// The HTML of a GitHub-flavoured Markdown document.
    public static func html(_ markdown: String) throws -> String {
        cmark_gfm_core_extensions_ensure_registered()
        let options = CMARK_OPT_UNSAFE | CMARK_OPT_FOOTNOTES
        guard let parser = cmark_parser_new(options) else { throw ReportError.markdown("cmark parser not created") }
        defer { cmark_parser_free(parser) }
        for name in ["table", "strikethrough", "autolink"] {
            if let ext = cmark_find_syntax_extension(name) { cmark_parser_attach_syntax_extension(parser, ext) }
        }
        var bytes = Array(markdown.utf8)
        bytes.withUnsafeMutableBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                cmark_parser_feed(parser, $0, buf.count)
            }
        }
        guard let doc = cmark_parser_finish(parser) else { throw ReportError.markdown("cmark could not parse") }
        defer { cmark_node_free(doc) }
        guard let raw = cmark_render_html(doc, options, cmark_parser_get_syntax_extensions(parser)) else {
            throw ReportError.markdown("cmark could not render")
        }
        defer { free(raw) }
        return String(cString: raw)
    }
}
