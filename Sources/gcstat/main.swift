// gcstat: turns HakoGC event logs into what people read.
import Foundation
import GcProfiler

let usage = """
usage: gcstat report FILE     pause percentiles by collection kind, time by phase, heap summary
       gcstat --help

FILE is an event log written by GcProfiler's EventLog (hako-demo --log FILE writes one).
"""

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("gcstat: \(message)\n".utf8))
    exit(2)
}

let args = Array(CommandLine.arguments.dropFirst())
switch args.first {
case "report":
    guard args.count == 2 else { fail("report takes one FILE\n\(usage)") }
    do {
        print(Report.render(try EventLogContents(path: args[1])))
    } catch {
        fail("\(args[1]): \(error)")
    }
case "--help", "-h", "help":
    print(usage)
case nil:
    fail("no command\n\(usage)")
case let other?:
    fail("unknown command \(other)\n\(usage)")
}
