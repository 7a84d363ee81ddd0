/// A command that waits in a PGConnection to go with the next round trip: transaction
/// control (BEGIN, COMMIT) or a bound statement queued by `executeLater`, with the
/// `deferredOwner` it was queued under.
enum PGPendingCommand {
    case control(String)
    case statement(PGBoundStatement, owner: Int?)
}
