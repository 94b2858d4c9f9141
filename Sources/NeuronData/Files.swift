import Glibc

/// A clear, one-line description of what went wrong reading or writing a file.
public struct DataError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The whole file as bytes.
public func readFileBytes(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw DataError("\(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw DataError("\(path): cannot stat: \(String(cString: strerror(errno)))") }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw DataError("\(path): not a regular file") }
    let size = Int(info.st_size)
    var bytes = [UInt8](repeating: 0, count: size)
    var done = 0
    while done < size {
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw DataError("\(path): read failed after \(done) of \(size) bytes") }
        done += n
    }
    return bytes
}

/// Writes `chunks` to `path` so that readers see either the old file or the complete new
/// one: a temporary file in the same folder, fsync, then rename over the target.
public func writeFileAtomically(_ path: String, _ chunks: [UnsafeRawBufferPointer]) throws {
    let temporary = path + ".tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw DataError("\(path): cannot create \(temporary): \(String(cString: strerror(errno)))") }
    var failure: DataError?
    outer: for chunk in chunks {
        var done = 0
        while done < chunk.count {
            let n = write(fd, chunk.baseAddress! + done, chunk.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                failure = DataError("\(path): write failed: \(String(cString: strerror(errno)))")
                break outer
            }
            done += n
        }
    }
    if failure == nil && fsync(fd) != 0 { failure = DataError("\(path): fsync failed: \(String(cString: strerror(errno)))") }
    close(fd)
    if let failure {
        unlink(temporary)
        throw failure
    }
    guard rename(temporary, path) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(temporary)
        throw DataError("\(path): cannot replace: \(reason)")
    }
    // Make the rename itself durable.
    let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
    let dirfd = open(folder.isEmpty ? "/" : folder, O_RDONLY)
    if dirfd >= 0 {
        fsync(dirfd)
        close(dirfd)
    }
}

/// `mkdir -p`.
public func makeDirectories(_ path: String) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        current += "/" + part
        if mkdir(current, 0o755) != 0 && errno != EEXIST {
            throw DataError("\(current): cannot create directory: \(String(cString: strerror(errno)))")
        }
    }
}
