// The static site: one self-contained HTML page (inline CSS, no script, no network) around the report's body.

public enum Site {
    /// Gives every `<h2>` an id from its text and returns the HTML with a table of contents of them inserted
    /// before the first one.
    public static func withContents(_ html: String) -> String {
        var out = "", toc: [(String, String)] = []
        var rest = html[...]
        while let open = rest.range(of: "<h2>"), let close = rest[open.upperBound...].range(of: "</h2>") {
            let title = String(rest[open.upperBound..<close.lowerBound])
            var slug = ""
            for ch in title.lowercased() where ch.isLetter || ch.isNumber || ch == " " || ch == "-" {
                slug.append(ch == " " ? "-" : ch)
            }
            if slug.isEmpty || toc.contains(where: { $0.0 == slug }) { slug = "section-\(toc.count + 1)" }
            toc.append((slug, title))
            out += rest[rest.startIndex..<open.lowerBound] + "<h2 id=\"\(slug)\">\(title)</h2>"
            rest = rest[close.upperBound...]
        }
        out += rest
        guard !toc.isEmpty, let first = out.range(of: "<h2 id=") else { return out }
        let nav = "<nav class=\"toc\"><b>Contents</b><ul>" + toc.map { "<li><a href=\"#\($0.0)\">\($0.1)</a></li>" }.joined() + "</ul></nav>\n"
        out.insert(contentsOf: nav, at: first.lowerBound)
        return out
    }

    /// A complete HTML page.
    public static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(htmlEscape(title))</title>
        <style>
        body { font-family: "DejaVu Sans", system-ui, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em;
               line-height: 1.5; color: #222; background: #fff; }
        h1, h2, h3 { line-height: 1.2; }
        figure { margin: 1.5em 0; text-align: center; }
        figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
        figcaption { font-size: 0.9em; color: #555; margin-top: 0.4em; }
        table { border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }
        th, td { border: 1px solid #ddd; padding: 4px 6px; vertical-align: top; }
        th { background: #f6f6f6; }
        .claim { display: inline; padding: 1px 5px; border-radius: 4px; font-size: 0.9em;
                 -webkit-box-decoration-break: clone; box-decoration-break: clone; }
        .claim.pass .mark { color: #1e7b34; } .claim.fail .mark { color: #b3261e; } .claim.unchecked .mark { color: #666; }
        .claim.inconclusive .mark { color: #8a5a00; } .claim.inconclusive { background: #fff4d6; border: 1px solid #e0b84f; }
        .claim.pass { background: #e6f4ea; border: 1px solid #8bc79a; }
        .claim.fail { background: #fce8e6; border: 1px solid #e08b82; }
        .claim.unchecked { background: #f1f1f1; border: 1px solid #bbb; }
        .mark { font-weight: bold; }
        .claim .tol { color: #666; font-size: 0.9em; }
        code { background: #f6f6f6; padding: 0 3px; }
        nav.toc { background: #fafafa; border: 1px solid #eee; padding: 0.5em 1em; margin: 1em 0; }
        nav.toc ul { margin: 0.3em 0; list-style: none; padding-left: 1em; }
        .fail { color: #b3261e; font-weight: bold; } .ok { color: #1e7b34; }
        .provenance { font-size: 0.85em; color: #444; }
        </style>
        </head>
        <body>
        \(body)
        </body>
        </html>

        """
    }
}
