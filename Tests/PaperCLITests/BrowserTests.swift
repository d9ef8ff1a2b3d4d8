// The published site in a real browser: `paper publish` on the smoke experiments, then headless Chromium loads
// site/index.html from the file system in frames 1280 and 400 px wide inside a small harness page, and reports
// whether every image loaded, every claim shows its mark, every in-page link (claim rows, citations, figures)
// resolves, the page never scrolls sideways, and no figure text is under 10 px at 1280 px; every figure's data
// file exists; screenshots at both widths (paths printed) must log no console error.
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

@Test(.timeLimit(.minutes(15)))   // a guard against a hang, not a speed test: slower machines (Zen 3) and a busy suite need minutes
func publishedSiteLoadsEveryImageAndClaimMarkInChromium() throws {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    let browser = try #require(chromium, "Chromium is not installed: `make test` installs Debian's chromium package")
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("tms-site-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    try FileManager.default.createDirectory(at: root.appendingPathComponent("paper"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: repoSources, to: root.appendingPathComponent("paper/src"))
    let built = try run(paperBinary.path, ["publish", "--root", root.path], env: ["PAPER_SMOKE": "1"])
    try #require(built.status == 0, "paper publish failed: \(built.err)")
    let claims = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("paper/claims.json"))) as! [String: Any]
    let claimCount = (claims["claims"] as! [Any]).count

    let site = root.appendingPathComponent("site/index.html")
    let page = try String(contentsOf: site, encoding: .utf8)
    // Every figure's data link names a file the build wrote.
    let dataLinks = page.matches(of: /href="(data\/[^"]+)"/).map { String($0.output.1) }
    #expect(!dataLinks.isEmpty, "no figure links to its data")
    for link in Set(dataLinks) {
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("site/" + link).path), "missing figure data \(link)")
    }
    let harness = root.appendingPathComponent("harness.html")
    // The page in frames 1280 and 400 px wide: images load, every claim mark shows, every in-page link resolves, the
    // page never scrolls sideways (only a table's own box may), and at 1280 px no figure's text is under 10 px.
    try """
    <!DOCTYPE html><html><body><div id="out">pending</div>
    <iframe id="wide" src="\(site.absoluteString)" width="1280" height="900"></iframe>
    <iframe id="narrow" src="\(site.absoluteString)" width="400" height="900"></iframe>
    <script>
    function report(f) {
      const d = f.contentDocument, w = f.contentWindow;
      const imgs = Array.from(d.images);
      const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length;
      const marks = Array.from(d.querySelectorAll('tr[id^="claim-"] td.mark, a.claim .mark')).filter(m => m.getBoundingClientRect().width > 0).length;
      const links = Array.from(d.querySelectorAll('a[href^="#"]'));
      const dangling = links.filter(a => !d.getElementById(decodeURIComponent(a.getAttribute('href').slice(1)))).length;
      const overflow = d.documentElement.scrollWidth - w.innerWidth;
      const figs = Array.from(d.querySelectorAll('img[data-min-text]'));
      const smallest = Math.min(...figs.map(i => i.getBoundingClientRect().width / Number(i.dataset.width) * Number(i.dataset.minText)));
      return [imgs.length, broken, marks, d.querySelectorAll('table td').length > 0 ? 1 : 0, links.length, dangling,
              Math.max(0, Math.ceil(overflow)), Math.floor(smallest * 100)].join(' ');
    }
    let loaded = 0;
    for (const id of ['wide', 'narrow']) document.getElementById(id).addEventListener('load', () => {
      if (++loaded < 2) return;
      document.getElementById('out').textContent = 'RESULT ' + report(document.getElementById('wide')) + ' | '
        + report(document.getElementById('narrow')) + ' END';
    });
    </script></body></html>
    """.write(to: harness, atomically: true, encoding: .utf8)
    let common = ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files", "--virtual-time-budget=15000"]
    let dom = try run(browser, common + ["--dump-dom", harness.absoluteString])
    let line = try #require(dom.out.split(separator: "\n").first { $0.contains("RESULT ") && $0.contains(" END") && !$0.contains("join") },
                            "the harness did not report: \(dom.err.suffix(500))")
    let after = line[line.range(of: "RESULT ")!.upperBound..<line.range(of: " END")!.lowerBound]
    let frames = after.components(separatedBy: " | ").map { $0.split(separator: " ").compactMap { Int($0) } }
    try #require(frames.count == 2 && frames.allSatisfy { $0.count == 8 }, "unreadable harness line: \(line)")
    for (name, f) in zip(["1280 px", "400 px"], frames) {
        #expect(f[0] >= 8, "\(name): images on the page: \(f[0])")
        #expect(f[1] == 0, "\(name): broken images: \(f[1])")
        #expect(f[2] >= claimCount, "\(name): claim marks rendered: \(f[2]) for \(claimCount) claims")
        #expect(f[3] == 1, "\(name): the claims table is missing")
        #expect(f[4] >= claimCount, "\(name): in-page links: \(f[4])")
        #expect(f[5] == 0, "\(name): in-page links with no target: \(f[5])")
        #expect(f[6] == 0, "\(name): the page scrolls sideways by \(f[6]) px")
    }
    #expect(frames[0][7] >= 1000, "at 1280 px the smallest figure text is \(Double(frames[0][7]) / 100) px")

    // Screenshots of the page itself at both widths, with the browser's console logged: no errors.
    for width in [1280, 400] {
        let shot = root.appendingPathComponent("site-\(width).png")
        let shown = try run(browser, common + ["--enable-logging=stderr", "--v=0", "--window-size=\(width),3000", "--screenshot=\(shot.path)", site.absoluteString])
        #expect(FileManager.default.fileExists(atPath: shot.path))
        let consoleErrors = shown.err.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Failed to load resource") }
        #expect(consoleErrors.isEmpty, "console at \(width) px: \(consoleErrors)")
        print("site screenshot at \(width) px: \(shot.path)")
    }
}
