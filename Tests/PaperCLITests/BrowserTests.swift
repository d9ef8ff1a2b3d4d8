// The published site in a real browser: `paper publish` on the smoke experiments, then headless Chromium loads
// site/index.html from the file system inside a small harness page and reports whether every image loaded and
// every claim shows its mark; it also takes a screenshot (path printed) and must log no console error.
import Foundation
import Testing

private let paperBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("paper")
private let repoSources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("paper/src")

@discardableResult
private func run(_ exe: String, _ args: [String], env: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    p.environment = ProcessInfo.processInfo.environment.merging(env) { _, b in b }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

@Test(.timeLimit(.minutes(5)))
func publishedSiteLoadsEveryImageAndClaimMarkInChromium() throws {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    let browser = try #require(chromium, "Chromium is not installed: `make test` installs Debian's chromium package")
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("tms-site-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root.appendingPathComponent("paper"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: repoSources, to: root.appendingPathComponent("paper/src"))
    let built = try run(paperBinary.path, ["publish", "--root", root.path], env: ["PAPER_SMOKE": "1"])
    try #require(built.status == 0, "paper publish failed: \(built.err)")
    let claims = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("paper/claims.json"))) as! [String: Any]
    let claimCount = (claims["claims"] as! [Any]).count

    let site = root.appendingPathComponent("site/index.html")
    let harness = root.appendingPathComponent("harness.html")
    try """
    <!DOCTYPE html><html><body><div id="out">pending</div>
    <iframe id="f" src="\(site.absoluteString)" width="1000" height="800"></iframe>
    <script>
    const f = document.getElementById('f');
    f.addEventListener('load', () => {
      const d = f.contentDocument;
      const imgs = Array.from(d.images);
      const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length;
      const marks = Array.from(d.querySelectorAll('.claim .mark')).filter(m => m.getBoundingClientRect().width > 0).length;
      document.getElementById('out').textContent =
        ['RESULT', imgs.length, broken, marks, d.querySelectorAll('table td').length > 0 ? 1 : 0, 'END'].join(' ');
    });
    </script></body></html>
    """.write(to: harness, atomically: true, encoding: .utf8)
    let common = ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files", "--virtual-time-budget=15000"]
    let dom = try run(browser, common + ["--dump-dom", harness.absoluteString])
    let line = try #require(dom.out.split(separator: "\n").first { $0.contains("RESULT ") && $0.contains(" END") && !$0.contains("join") },
                            "the harness did not report: \(dom.err.suffix(500))")
    let after = line[line.range(of: "RESULT ")!.upperBound...]
    let fields = after.split(separator: " ").prefix(4).compactMap { Int($0) }
    try #require(fields.count == 4, "unreadable harness line: \(line)")
    #expect(fields[0] >= 8, "images on the page: \(fields[0])")
    #expect(fields[1] == 0, "broken images: \(fields[1])")
    #expect(fields[2] >= claimCount, "claim marks rendered: \(fields[2]) for \(claimCount) claims")
    #expect(fields[3] == 1, "the claims table is missing")

    // A screenshot of the page itself, with the browser's console logged: no errors.
    let shot = root.appendingPathComponent("site-screenshot.png")
    let page = try run(browser, common + ["--enable-logging=stderr", "--v=0", "--window-size=1200,3000", "--screenshot=\(shot.path)", site.absoluteString])
    #expect(FileManager.default.fileExists(atPath: shot.path))
    let consoleErrors = page.err.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Failed to load resource") }
    #expect(consoleErrors.isEmpty, "console: \(consoleErrors)")
    print("site screenshot: \(shot.path)")
}
