import CLibFuzzer
import Foundation

/// The signature libFuzzer calls for each input (LLVMFuzzerTestOneInput's).
public typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Runs libFuzzer's driver on the command line (libFuzzer's own flags, corpus directories or
/// files to replay) with `callback`, and exits with its status. Each fuzz target's @main calls
/// this: SwiftPM links executables with `main` bound to the module's entry point, so
/// libFuzzer's own main() is never the one that runs.
public func runLibFuzzer(_ callback: FuzzCallback) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
}

/// A stand-in for a null data pointer (libFuzzer passes none, but the C type allows it).
nonisolated(unsafe) public let emptyInput: UnsafePointer<UInt8> = {
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    p.initialize(to: 0)
    return UnsafePointer(p)
}()
