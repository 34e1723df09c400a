import TweenKit

// Usage: VideoJobExample IN OUT — converts IN to 60 fps with the quality gate, printing progress.
let arguments = CommandLine.arguments
var options = VideoOptions(input: arguments[1], output: arguments[2], target: .fps("60"))
options.engine.mode = .production  // the gate flags doubtful frames and holds wrecked ones
options.force = true
for try await event in try VideoJob(options).events() {
    switch event {
    case .progress(let p):
        print("progress: \(p.framesOut) of \(p.total.map(String.init) ?? "?") frames")
    case .finished(let report):
        print(report.text)
        print(report.gateLine ?? "no gate")
    }
}
