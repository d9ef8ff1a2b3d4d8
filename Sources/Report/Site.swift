// The static site: one self-contained HTML page (inline CSS, no script, no network) around the report's body.

public enum Site {
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
        .claim.pass { background: #e6f4ea; border: 1px solid #8bc79a; }
        .claim.fail { background: #fce8e6; border: 1px solid #e08b82; }
        .claim.unchecked { background: #f1f1f1; border: 1px solid #bbb; }
        .mark { font-weight: bold; }
        .claim .tol { color: #666; font-size: 0.9em; }
        code { background: #f6f6f6; padding: 0 3px; }
        </style>
        </head>
        <body>
        \(body)
        </body>
        </html>

        """
    }
}
