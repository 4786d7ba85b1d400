import CubbyCore
import CubbyMemory
import Foundation

// The memory store's benchmark and its crash-safety writer.
//
//   cubby-memory-bench bench [--sizes 1000,10000,100000] [--queries 500]
//       builds stores of mixed Chinese and English facts in a temporary folder and prints, per size:
//       insert throughput, recall latency p50/p99 over varied questions, the database's size on disk.
//   cubby-memory-bench stress --db PATH
//       remembers facts one at a time forever, printing "ack N TEXT" after each write committed; the
//       kill test SIGKILLs it and checks that every acknowledged fact survived.

let arguments = CommandLine.arguments.dropFirst()
func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), arguments.index(after: index) < arguments.endIndex else { return nil }
    return arguments[arguments.index(after: index)]
}

/// Facts a child might share, in both languages, varied enough that recall has real work to do.
struct FactMaker {
    var generator = SplitMix(seed: 42)
    static let names = ["Mia", "Leo", "Sam", "Ava", "Noah", "Lily", "Max", "Zoe", "Ben", "Ella", "Tom", "Ruby", "Jack", "Isla", "Finn", "Nora"]
    static let pets = ["dog", "cat", "rabbit", "hamster", "goldfish", "parrot", "turtle", "pony"]
    static let things = ["rockets", "dinosaurs", "drawing", "football", "painting", "swimming", "puzzles", "trains", "robots", "ballet", "stars", "volcanoes", "butterflies", "pirates", "castles", "pancakes"]
    static let places = ["the park", "the seaside", "grandma's house", "the zoo", "school", "the library", "the forest", "the farm"]
    static let zhNames = ["小明", "小红", "乐乐", "豆豆", "果果", "天天", "贝贝", "朵朵", "欢欢", "甜甜"]
    static let zhPets = ["小狗", "小猫", "兔子", "金鱼", "乌龟", "鹦鹉"]
    static let zhThings = ["熊猫", "恐龙", "画画", "踢足球", "唱歌", "搭积木", "火车", "机器人", "星星", "跳舞", "饺子", "风筝"]
    static let zhPlaces = ["公园", "奶奶家", "动物园", "海边", "图书馆", "幼儿园", "森林", "农场"]

    mutating func pick<T>(_ list: [T]) -> T { list[Int(generator.next() % UInt64(list.count))] }

    mutating func fact(_ i: Int) -> String {
        if generator.next() % 3 == 0 {
            switch generator.next() % 4 {
            case 0: return "\(pick(Self.zhNames))养了一只\(pick(Self.zhPets))，名字叫\(pick(Self.zhNames))\(i)"
            case 1: return "\(pick(Self.zhNames))最喜欢\(pick(Self.zhThings))和\(pick(Self.zhThings))（第\(i)次说）"
            case 2: return "周末要和\(pick(Self.zhNames))去\(pick(Self.zhPlaces))玩\(pick(Self.zhThings))，编号\(i)"
            default: return "\(pick(Self.zhNames))今天在\(pick(Self.zhPlaces))觉得很开心，因为\(pick(Self.zhThings))\(i)"
            }
        }
        switch generator.next() % 4 {
        case 0: return "\(pick(Self.names)) has a \(pick(Self.pets)) called \(pick(Self.names))\(i)"
        case 1: return "\(pick(Self.names)) loves \(pick(Self.things)) and \(pick(Self.things)), told on day \(i)"
        case 2: return "\(pick(Self.names)) is going to \(pick(Self.places)) to see \(pick(Self.things)) (plan \(i))"
        default: return "\(pick(Self.names)) felt proud after \(pick(Self.things)) at \(pick(Self.places)) number \(i)"
        }
    }

    mutating func question() -> String {
        switch generator.next() % 6 {
        case 0: return "can you tell me a story about my \(pick(Self.pets))"
        case 1: return "I want to talk about \(pick(Self.things)) today"
        case 2: return "what should we do at \(pick(Self.places))"
        case 3: return "我想听一个关于\(pick(Self.zhThings))的故事"
        case 4: return "我的\(pick(Self.zhPets))今天很调皮"
        default: return "\(pick(Self.names)) and \(pick(Self.names)) are coming over"
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

func bench() throws {
    let sizes = (option("--sizes") ?? "1000,10000,100000").split(separator: ",").compactMap { Int($0) }
    let queries = Int(option("--queries") ?? "500") ?? 500
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cubby-memory-bench-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    print("memories  insert/s   recall p50   recall p99   recalled  db size")
    for size in sizes {
        try? FileManager.default.removeItem(atPath: folder)
        let database = try CubbyDatabase(path: folder + "/cubby.sqlite")
        var maker = FactMaker()
        let clock = ContinuousClock()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let insert = try clock.measure {
            for i in 0..<size {
                try database.memories.remember(maker.fact(i), kind: .other, salience: Double(maker.generator.next() % 100) / 100,
                                               at: start.addingTimeInterval(Double(i) * 60))
            }
        }
        var latencies: [Double] = []
        var recalled = 0
        for _ in 0..<queries {
            let question = maker.question()
            let elapsed = try clock.measure { recalled += try database.memories.recall(for: question, at: start.addingTimeInterval(Double(size) * 60)).count }
            latencies.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
        }
        try database.close()
        let bytes = ((try? FileManager.default.attributesOfItem(atPath: folder + "/cubby.sqlite")[.size] as? Int) ?? 0)
        let seconds = Double(insert.components.seconds) + Double(insert.components.attoseconds) / 1e18
        print(String(format: "%8d  %8.0f  %8.2f ms  %8.2f ms  %8.1f  %6.1f MB", size, Double(size) / seconds, percentile(latencies, 0.5),
                     percentile(latencies, 0.99), Double(recalled) / Double(queries), Double(bytes) / 1e6))
    }
}

func stress() throws {
    guard let path = option("--db") else { throw CubbyError(.invalidConfiguration, "stress needs --db PATH") }
    let database = try CubbyDatabase(path: path)
    var maker = FactMaker(generator: SplitMix(seed: UInt64(getpid())))
    var i = 0
    while true {
        // Three random words make every fact its own (never a near-duplicate that updates another).
        let tags = (0..<3).map { _ in String(maker.generator.next() % 1_000_000_000, radix: 36) }.joined(separator: " ")
        let text = "\(maker.fact(i)) \(tags)"
        guard case .added = try database.memories.remember(text, at: Date()) else { continue }
        // Unbuffered: an acknowledgement is out before the next write starts.
        FileHandle.standardOutput.write(Data("ack \(i) \(text)\n".utf8))
        i += 1
    }
}

do {
    switch arguments.first {
    case "bench": try bench()
    case "stress": try stress()
    default:
        FileHandle.standardError.write(Data("usage: cubby-memory-bench bench [--sizes 1000,10000] [--queries 500] | stress --db PATH\n".utf8))
        exit(64)
    }
} catch {
    FileHandle.standardError.write(Data("cubby-memory-bench: \(error)\n".utf8))
    exit(1)
}
