// The static site: one self-contained HTML page (inline CSS, no script, no network) around the report's body.
// A text column about 700 px wide; figures may be wider (each at one CSS pixel per point at least, up to the
// window); a table of contents with the subsections, sticky beside the text on a wide window; every table scrolls
// inside its own box on a narrow one; print styles and a dark scheme.

public enum Site {
    /// Gives every `<h2>` and `<h3>` an id from its text (keeping one it has) and returns the HTML with a table of
    /// contents of them (subsections nested) inserted before the first `<h2>`. Headings of the claims table's
    /// sections (ids starting `claims-`) stay out of the contents: the outcome table links to them.
    public static func withContents(_ html: String) -> String {
        var out = "", toc: [(level: Int, slug: String, title: String)] = []
        var used: Set<String> = []
        var rest = html[...]
        while let open = rest.firstRange(of: /<h([23])( id="([^"]*)")?>/) {
            let m = rest[open].firstMatch(of: /<h([23])( id="([^"]*)")?>/)!
            let level = Int(m.output.1)!
            guard let close = rest[open.upperBound...].range(of: "</h\(level)>") else { break }
            let title = String(rest[open.upperBound..<close.lowerBound])
            var slug = m.output.3.map(String.init) ?? ""
            if slug.isEmpty {
                var inTag = false
                for ch in title.lowercased() {
                    if ch == "<" { inTag = true } else if ch == ">" { inTag = false; continue }
                    if inTag { continue }
                    if ch.isLetter || ch.isNumber || ch == "-" { slug.append(ch) } else if ch == " " { slug.append("-") }
                }
                if slug.isEmpty || used.contains(slug) { slug = "section-\(toc.count + 1)" }
            }
            used.insert(slug)
            if !slug.hasPrefix("claims-") { toc.append((level, slug, title)) }
            out += rest[rest.startIndex..<open.lowerBound] + "<h\(level) id=\"\(slug)\">\(title)</h\(level)>"
            rest = rest[close.upperBound...]
        }
        out += rest
        guard !toc.isEmpty, let first = out.range(of: "<h2 id=") else { return out }
        // Each section with its subsections (a subsection before any section stands alone).
        var groups: [(entry: (level: Int, slug: String, title: String), subs: [(level: Int, slug: String, title: String)])] = []
        for entry in toc {
            if entry.level == 3, !groups.isEmpty { groups[groups.count - 1].subs.append(entry) } else { groups.append((entry, [])) }
        }
        var nav = "<nav class=\"toc\" aria-label=\"Contents\"><b>Contents</b><ul>"
        for g in groups {
            nav += "<li><a href=\"#\(g.entry.slug)\">\(g.entry.title)</a>"
            if !g.subs.isEmpty { nav += "<ul>" + g.subs.map { "<li><a href=\"#\($0.slug)\">\($0.title)</a></li>" }.joined() + "</ul>" }
            nav += "</li>"
        }
        nav += "</ul></nav>\n"
        out.insert(contentsOf: nav, at: first.lowerBound)
        return out
    }

    /// Wraps every plain `<table>` (those cmark-gfm writes) in a box that scrolls sideways on a narrow window.
    public static func scrollingTables(_ html: String) -> String {
        html.replacingOccurrences(of: "<table>", with: "<div class=\"table-scroll\"><table>")
            .replacingOccurrences(of: "</table>\n", with: "</table></div>\n")
    }

    /// A complete HTML page.
    public static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <title>\(htmlEscape(title))</title>
        <style>
        :root { --text: #1d1d1f; --muted: #555; --bg: #fff; --rule: #e3e3e3; --code: #f4f4f4; --link: #1a5fb4;
                --pass-bg: #e6f4ea; --pass: #1e7b34; --fail-bg: #fce8e6; --fail: #b3261e; --inc-bg: #fff4d6; --inc: #8a5a00;
                --un-bg: #f1f1f1; --un: #666; }
        @media (prefers-color-scheme: dark) {
          :root { --text: #e6e6e6; --muted: #aaa; --bg: #15171a; --rule: #33373d; --code: #23262b; --link: #8ab4f8;
                  --pass-bg: #193b24; --pass: #7fd89a; --fail-bg: #47201d; --fail: #f2a19a; --inc-bg: #3d3214; --inc: #f0c96a;
                  --un-bg: #2a2d31; --un: #bbb; }
          figure img { background: #fff; }
        }
        html { -webkit-text-size-adjust: 100%; }
        body { font-family: Georgia, "DejaVu Serif", serif; font-size: 17px; line-height: 1.6; color: var(--text);
               background: var(--bg); margin: 0; }
        main { max-width: 700px; margin: 0 auto; padding: 1.5em 16px 4em; overflow-wrap: break-word; }
        h1, h2, h3, h4, nav, figcaption, table, .byline, .claim, summary { font-family: "DejaVu Sans", system-ui, sans-serif; }
        h1 { font-size: 2em; line-height: 1.15; margin: 0.6em 0 0.3em; }
        h2 { font-size: 1.45em; line-height: 1.2; margin-top: 2.2em; border-bottom: 1px solid var(--rule); padding-bottom: 0.2em; }
        h3 { font-size: 1.15em; line-height: 1.25; margin-top: 1.8em; }
        a { color: var(--link); }
        code { background: var(--code); padding: 0 3px; border-radius: 3px; font-size: 0.88em; overflow-wrap: anywhere; }
        figure { margin: 2em 0; max-width: calc(100vw - 32px); position: relative; left: 50%; transform: translateX(-50%);
                 background: var(--bg); z-index: 1; }
        figure img { display: block; width: 100%; height: auto; }
        figcaption { font-size: 0.82em; color: var(--muted); margin: 0.5em auto 0; max-width: 700px; line-height: 1.45; }
        .figmeta { display: block; margin-top: 0.3em; font-size: 0.92em; }
        .table-scroll { overflow-x: auto; max-width: 100%; margin: 1em 0; }
        table { border-collapse: collapse; font-size: 0.78em; line-height: 1.4; }
        th, td { border: 1px solid var(--rule); padding: 4px 6px; vertical-align: top; text-align: left; }
        th { background: var(--code); }
        table.claims { min-width: 640px; }
        table.claims td.id { white-space: nowrap; }
        table.claims tr.pass td.mark { background: var(--pass-bg); color: var(--pass); }
        table.claims tr.fail td.mark { background: var(--fail-bg); color: var(--fail); }
        table.claims tr.inconclusive td.mark { background: var(--inc-bg); color: var(--inc); }
        table.claims tr.unchecked td.mark { background: var(--un-bg); color: var(--un); }
        table.claims tr:target { outline: 2px solid var(--link); }
        td.mark { white-space: nowrap; font-weight: bold; }
        details summary { cursor: pointer; }
        a.claim { display: inline; padding: 0 5px; border-radius: 4px; font-size: 0.8em; text-decoration: none; white-space: nowrap;
                  border: 1px solid transparent; }
        a.claim .seeds { color: var(--muted); }
        a.claim.pass { background: var(--pass-bg); color: var(--pass); } a.claim.fail { background: var(--fail-bg); color: var(--fail); }
        a.claim.inconclusive { background: var(--inc-bg); color: var(--inc); } a.claim.unchecked { background: var(--un-bg); color: var(--un); }
        a.claim:target { border-color: var(--link); }
        .mark { font-weight: bold; }
        span.mark.pass { color: var(--pass); } span.mark.fail { color: var(--fail); } span.mark.inconclusive { color: var(--inc); }
        span.mark.unchecked { color: var(--un); }
        .byline { color: var(--muted); font-size: 0.9em; }
        nav.toc { font-size: 0.85em; line-height: 1.35; background: var(--code); padding: 0.6em 1em; margin: 1em 0; }
        nav.toc ul { margin: 0.2em 0; list-style: none; padding-left: 0.9em; }
        nav.toc > ul { padding-left: 0; }
        nav.toc li { margin: 0.15em 0; }
        nav.toc a { text-decoration: none; }
        @media (min-width: 1180px) {
          nav.toc { position: fixed; top: 0; left: 0; width: 220px; height: 100vh; overflow-y: auto; box-sizing: border-box;
                    margin: 0; padding: 1.2em 0.8em 2em 1em; background: var(--bg); border-right: 1px solid var(--rule); }
          main { padding-left: 16px; }
        }
        .fail { color: var(--fail); font-weight: bold; } .ok { color: var(--pass); }
        .provenance { font-size: 0.85em; color: var(--muted); }
        @media print {
          nav.toc { display: none; }
          body { font-size: 11pt; }
          main { max-width: none; }
          figure { left: 0; transform: none; max-width: 100%; width: auto !important; break-inside: avoid; }
          a { color: inherit; text-decoration: none; }
          .table-scroll { overflow: visible; }
        }
        </style>
        </head>
        <body>
        <main>
        \(body)
        </main>
        </body>
        </html>

        """
    }
}

extension Site {
    /// Typesets the report's light maths markup as MathML, at build time: `W_i`, `Σ_{j≠i}`, `0.7^i`, `x^{n−k}`
    /// become subscripts and superscripts. The base is one letter (Latin or Greek, with its accents), a number, or
    /// Σ; the script is `{…}` or up to three letters and digits. Text inside tags, `<code>`, `<pre>` and `<math>` is left
    /// as it is, and so are longer words (`file_name` stays as written).
    public static func typesetMath(_ html: String) -> String {
        var out = "", text = ""
        var i = html.startIndex
        var skipDepth = 0
        func flush() { out += skipDepth > 0 ? text : typesetText(text); text = "" }
        while i < html.endIndex {
            if html[i] == "<", let close = html[i...].firstIndex(of: ">") {
                flush()
                let tag = html[i...close]
                let name = tag.dropFirst().prefix { $0.isLetter || $0 == "/" }
                if ["code", "pre", "math"].contains(name) { skipDepth += 1 }
                if ["/code", "/pre", "/math"].contains(name) { skipDepth = max(0, skipDepth - 1) }
                out += tag
                i = html.index(after: close)
            } else {
                text.append(html[i])
                i = html.index(after: i)
            }
        }
        flush()
        return out
    }

    /// One run of text (no tags) with its markup typeset.
    static func typesetText(_ s: String) -> String {
        let chars = Array(s)
        var out = "", k = 0
        while k < chars.count {
            // A base: a lone letter (with combining accents), a number, or Σ, not preceded by a letter or digit.
            let boundary = k == 0 || !(chars[k - 1].isLetter || chars[k - 1].isNumber || chars[k - 1] == "_")
            var end = k
            if boundary {
                if chars[k].isNumber {
                    while end < chars.count, chars[end].isNumber || (chars[end] == "." && end + 1 < chars.count && chars[end + 1].isNumber) { end += 1 }
                } else if chars[k].isLetter || chars[k] == "Σ" {
                    end = k + 1
                }
            }
            guard end > k, end < chars.count, chars[end] == "_" || chars[end] == "^",
                  let (script, next) = Self.script(chars, from: end + 1) else {
                out.append(chars[k]); k += 1; continue
            }
            let base = String(chars[k..<end])
            // A second script after the first (W_i^2) makes msubsup.
            var tail = next
            var second: (String, Bool)? = nil
            if tail < chars.count, chars[tail] == "_" || chars[tail] == "^", chars[tail] != chars[end], let (s2, n2) = Self.script(chars, from: tail + 1) {
                second = (s2, chars[tail] == "^"); tail = n2
            }
            // The script ends a word: a following letter or digit means this was a longer word with an underscore.
            if tail < chars.count, chars[tail].isLetter || chars[tail].isNumber {
                out.append(chars[k]); k += 1; continue
            }
            let baseML = mathNode(base)
            if let second {
                let (sub, sup) = chars[end] == "_" ? (script, second.0) : (second.0, script)
                out += "<math><msubsup>\(baseML)\(mathRow(sub))\(mathRow(sup))</msubsup></math>"
            } else {
                let tag = chars[end] == "_" ? "msub" : "msup"
                out += "<math><\(tag)>\(baseML)\(mathRow(script))</\(tag)></math>"
            }
            k = tail
        }
        return out
    }

    /// The script after a `_` or `^` at `from`: `{…}` or one to three letters and digits; nil when there is none.
    static func script(_ chars: [Character], from: Int) -> (String, Int)? {
        guard from < chars.count else { return nil }
        if chars[from] == "{" {
            guard let close = chars[from...].firstIndex(of: "}"), close > from + 1 else { return nil }
            return (String(chars[(from + 1)..<close]), close + 1)
        }
        var end = from
        while end < chars.count, end - from < 3, chars[end].isLetter || chars[end].isNumber { end += 1 }
        return end > from ? (String(chars[from..<end]), end) : nil
    }

    /// A token as a MathML node: a number as <mn>, an operator or symbol as <mo>, anything else as <mi>.
    static func mathNode(_ s: String) -> String {
        if let f = s.first, f.isNumber { return "<mn>\(s)</mn>" }
        if s.count == 1, let c = s.first, !(c.isLetter || c.isNumber) { return "<mo>\(s)</mo>" }
        if s == "Σ" { return "<mo>Σ</mo>" }
        return "<mi>\(s)</mi>"
    }

    /// A script's contents as one <mrow> of tokens (runs of letters, runs of digits, single symbols).
    static func mathRow(_ s: String) -> String {
        var nodes: [String] = [], cur = ""
        func push() { if !cur.isEmpty { nodes.append(mathNode(cur)); cur = "" } }
        for c in s {
            if c.isNumber || c == "." { if let l = cur.last, !(l.isNumber || l == ".") { push() }; cur.append(c) }
            else if c.isLetter { if let l = cur.last, !l.isLetter { push() }; cur.append(c) }
            else if c == " " { push() }
            else { push(); nodes.append(mathNode(String(c))) }
        }
        push()
        return nodes.count == 1 ? nodes[0] : "<mrow>" + nodes.joined() + "</mrow>"
    }
}
