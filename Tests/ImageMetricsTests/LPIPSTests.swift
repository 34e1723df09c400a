import Checkpoint
import Foundation
import MediaIO
import ImageMetrics
import TestSupport
import Testing

/// One pair of `../shared/fixtures/lpips/reference.json`.
struct LPIPSPair: Decodable, Sendable, CustomStringConvertible {
    let name: String, img0: String, img1: String
    let lpips_alex: Double
    var description: String { name }
}

let lpipsWeights = lpipsFixture("lpips_alex.safetensors")
let lpipsReady = Fixtures.available(lpipsWeights, lpipsFixture("reference.json"))

func lpipsPairs() -> [LPIPSPair] {
    struct File: Decodable { let pairs: [LPIPSPair] }
    guard let data = try? Data(contentsOf: lpipsFixture("reference.json")),
          let file = try? JSONDecoder().decode(File.self, from: data) else { return [] }
    return file.pairs
}

func readImage8(_ url: URL) throws -> Image8 {
    let image = try PNG.read(url)
    return Image8(width: image.width, height: image.height, interleavedRGB: image.pixels)
}

@Suite("LPIPS v0.1 AlexNet", .enabled(if: lpipsReady, "needs ../shared/fixtures/lpips"))
struct LPIPSTests {
    static let model = Result { try LPIPS(contentsOf: lpipsWeights) }

    @Test("the reference pairs agree to 1e-5")
    func referencePairs() throws {
        let pairs = lpipsPairs()
        #expect(pairs.count == 3, "reference.json should list three pairs")
        let lpips = try Self.model.get()
        for pair in pairs {
            let a = try readImage8(lpipsFixture(pair.img0)), b = try readImage8(lpipsFixture(pair.img1))
            let ours = try lpips.distance(a, b)
            #expect(abs(ours - pair.lpips_alex) < 1e-5, "\(pair.name): ours \(ours), reference \(pair.lpips_alex), |Δ| \(abs(ours - pair.lpips_alex))")
            // Symmetric, and zero for an image against itself.
            #expect(try abs(lpips.distance(b, a) - ours) < 1e-6)
            #expect(try lpips.distance(a, a) == 0)
        }
    }

    @Test("the weights file made by Scripts/convert_lpips.py, when present, gives the same distance",
          .enabled(if: Fixtures.available(Fixtures.modelsDirectory.appendingPathComponent("lpips/alex.safetensors")), "run Scripts/setup.sh first"))
    func convertedWeights() throws {
        let converted = try LPIPS(contentsOf: Fixtures.modelsDirectory.appendingPathComponent("lpips/alex.safetensors"))
        let pair = try #require(lpipsPairs().first)
        let a = try readImage8(lpipsFixture(pair.img0)), b = try readImage8(lpipsFixture(pair.img1))
        #expect(try converted.distance(a, b) == Self.model.get().distance(a, b))
    }

    @Test("weights are bound strictly: a missing or mis-shaped tensor is named")
    func strictBinding() throws {
        let tensors = try SafeTensors.read(contentsOf: lpipsWeights).tensors
        var missing = tensors
        missing["lin3.model.1.weight"] = nil
        #expect(throws: CheckpointError.self) { try LPIPS(weights: WeightStore(missing.map { ($0.key, $0.value) })) }
        do {
            var wrong = tensors
            wrong["net.slice2.3.bias"] = wrong["net.slice1.0.bias"]
            _ = try LPIPS(weights: WeightStore(wrong.map { ($0.key, $0.value) }))
            Issue.record("a mis-shaped tensor was accepted")
        } catch let e as CheckpointError {
            #expect(e.message.contains("net.slice2.3.bias"), "\(e.message)")
        }
    }
}
