/// A problem with the user's input or environment, reported as one line on stderr.
struct UserError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
