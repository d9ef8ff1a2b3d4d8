// A build-tool plugin: before Experiments compiles, hash every source file that decides results (Engine, CVector,
// Experiments) into a generated CodeHashes.swift, so that the results cache is keyed by the code that computed
// them and a forgotten version bump can never reuse stale results.

import Foundation
import PackagePlugin

@main
struct CodeHashPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let hasher = try context.tool(named: "CodeHasher")
        let sources = context.package.directoryURL.appending(path: "Sources")
        var inputs: [URL] = []
        for t in context.package.targets where ["Engine", "CVector", "Experiments"].contains(t.name) {
            guard let module = t as? SourceModuleTarget else { continue }
            inputs += module.sourceFiles.map(\.url)
        }
        inputs.sort { $0.path < $1.path }
        let output = context.pluginWorkDirectoryURL.appending(path: "CodeHashes.swift")
        return [.buildCommand(displayName: "Hashing the sources that decide results",
                              executable: hasher.url,
                              arguments: [output.path, sources.path] + inputs.map(\.path),
                              inputFiles: inputs, outputFiles: [output])]
    }
}
