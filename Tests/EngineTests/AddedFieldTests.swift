// `@Added` fields (AddedField.swift): a field added after cache keys existed is left out of the encoding at its
// default and read as the default when absent, so that old configs and keys stay as they were.
import Foundation
import Testing
@testable import Engine

private func json<T: Encodable>(_ v: T) throws -> String {
    let e = JSONEncoder(); e.outputFormatting = [.sortedKeys]
    return String(decoding: try e.encode(v), as: UTF8.self)
}

@Test func anAddedFieldAtItsDefaultEncodesToNothingAndOtherValuesRoundTrip() throws {
    let plain = TrainingRecipe(steps: 10, batch: 8)
    #expect(try !json(plain).contains("cosine"))
    let cosine = TrainingRecipe(steps: 10, batch: 8, cosine: true)
    #expect(try json(cosine).contains("\"cosine\":true"))
    #expect(try JSONDecoder().decode(TrainingRecipe.self, from: Data(json(cosine).utf8)) == cosine)
    #expect(plain != cosine, "the added field takes part in equality")
}

@Test func jsonWrittenBeforeAFieldWasAddedDecodesWithItsDefault() throws {
    let old = #"{"n":2,"m":1,"activation":"relu","importance":[1,1],"density":[1,1],"seed":7,"bias":true}"#
    let spec = try JSONDecoder().decode(ToyModelSpec.self, from: Data(old.utf8))
    #expect(spec.hidden == .linear && spec.l1 == 0 && !spec.hiddenBias && spec.attack == 0 && spec.sets == nil)
    // And the spec writes back exactly what it read: the keys of runs that do not use the added fields hold.
    #expect(try json(spec) == #"{"activation":"relu","bias":true,"density":[1,1],"importance":[1,1],"m":1,"n":2,"seed":7}"#)
}

@Test func anAddedFieldWithTheWrongTypeIsAnError() {
    let bad = #"{"steps":10,"batch":8,"lr":0.001,"beta1":0.9,"beta2":0.999,"eps":1e-8,"weightDecay":0.01,"logEvery":100,"cosine":"yes"}"#
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(TrainingRecipe.self, from: Data(bad.utf8)) }
}
