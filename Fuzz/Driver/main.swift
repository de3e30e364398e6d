import Foundation
import FuzzTargets

// `fuzz TARGET [libFuzzer options] [corpus folders]`.
//
// Built by `make fuzz` with -DFUZZING, sanitizer coverage and libFuzzer's `fuzzer_no_main` runtime,
// it hands the target to libFuzzer's driver. In a normal build it replays the files and folders it
// is given through the target (a reproducer, the corpus), so a crash can be re-run under a debugger.

let usage = "usage: fuzz TARGET [options] [files or folders]; targets: "
    + FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")

var arguments = CommandLine.arguments
guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}
arguments.remove(at: 1)

#if FUZZING
/// libFuzzer's entry point when its own `main` is not linked (`libclang_rt.fuzzer_no_main`).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The target of this run; libFuzzer's callback is a C function and cannot capture it.
nonisolated(unsafe) var selected = target

var argc = Int32(arguments.count)
var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
let status = cArguments.withUnsafeMutableBufferPointer { buffer -> Int32 in
    var argv = buffer.baseAddress
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        selected.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    }
}
exit(status)
#else
var files: [URL] = []
for path in arguments.dropFirst() where !path.hasPrefix("-") {
    let url = URL(fileURLWithPath: path)
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { continue }
    if isFolder.boolValue {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        files += names.sorted().map { url.appendingPathComponent($0) }
    } else {
        files.append(url)
    }
}
for file in files {
    guard let data = try? Data(contentsOf: file) else { continue }
    target.run(Array(data))
}
print("fuzz: \(files.count) inputs replayed through \(target.rawValue) without a crash")
#endif
