import Glibc

/// Open MPI's library, loaded at run time with `dlopen` so that Neuron builds and runs without
/// it (a world of one). Only the few entry points data-parallel training uses are bound.
/// Open MPI's handles (`MPI_COMM_WORLD`, `MPI_FLOAT`, `MPI_SUM`, …) are the addresses of
/// exported objects (`ompi_mpi_comm_world`, …), resolved the same way.
final class OpenMPI: @unchecked Sendable {
    typealias Handle = OpaquePointer

    let world: Handle, float: Handle, double: Handle, byte: Handle, sum: Handle, max: Handle
    let initThread:
        @convention(c) (
            UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?, Int32,
            UnsafeMutablePointer<Int32>?
        ) -> Int32
    let finalize: @convention(c) () -> Int32
    let commRank: @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    let commSize: @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    let barrier: @convention(c) (Handle) -> Int32
    let bcast: @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    let allreduce: @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    let iallreduce:
        @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle, UnsafeMutablePointer<Handle?>) -> Int32
    let allgather: @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, Int32, Handle, Handle) -> Int32
    let wait: @convention(c) (UnsafeMutablePointer<Handle?>, UnsafeMutableRawPointer?) -> Int32
    let test: @convention(c) (UnsafeMutablePointer<Handle?>, UnsafeMutablePointer<Int32>, UnsafeMutableRawPointer?) -> Int32

    /// `MPI_IN_PLACE` in Open MPI.
    static let inPlace = UnsafeRawPointer(bitPattern: 1)!
    /// `MPI_THREAD_FUNNELED`: only the main thread calls MPI.
    static let threadFunneled: Int32 = 1

    /// Loads the library from the usual names, or explains in one line why it could not.
    static func load() throws(DistributedError) -> OpenMPI {
        // RTLD_GLOBAL: Open MPI's own plug-ins resolve their symbols against libmpi.
        let names = ["libmpi.so.40", "libmpi.so"]
        guard let library = names.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_GLOBAL) }).first else {
            throw DistributedError("started by mpirun but Open MPI's library (libmpi.so.40) cannot be loaded; install openmpi-bin and libopenmpi-dev")
        }
        func symbol<T>(_ name: String, as type: T.Type = T.self) throws(DistributedError) -> T {
            guard let address = dlsym(library, name) else {
                throw DistributedError("libmpi lacks \(name); Neuron needs Open MPI 4 or later")
            }
            return unsafeBitCast(address, to: type)
        }
        func object(_ name: String) throws(DistributedError) -> Handle {
            guard let address = dlsym(library, name) else { throw DistributedError("libmpi lacks \(name); Neuron needs Open MPI 4 or later") }
            return Handle(address)
        }
        return OpenMPI(
            world: try object("ompi_mpi_comm_world"), float: try object("ompi_mpi_float"), double: try object("ompi_mpi_double"),
            byte: try object("ompi_mpi_byte"), sum: try object("ompi_mpi_op_sum"), max: try object("ompi_mpi_op_max"),
            initThread: try symbol("MPI_Init_thread"), finalize: try symbol("MPI_Finalize"), commRank: try symbol("MPI_Comm_rank"),
            commSize: try symbol("MPI_Comm_size"), barrier: try symbol("MPI_Barrier"), bcast: try symbol("MPI_Bcast"),
            allreduce: try symbol("MPI_Allreduce"), iallreduce: try symbol("MPI_Iallreduce"), allgather: try symbol("MPI_Allgather"),
            wait: try symbol("MPI_Wait"), test: try symbol("MPI_Test"))
    }

    private init(
        world: Handle, float: Handle, double: Handle, byte: Handle, sum: Handle, max: Handle,
        initThread:
            @escaping @convention(c) (
                UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?, Int32,
                UnsafeMutablePointer<Int32>?
            ) -> Int32,
        finalize: @escaping @convention(c) () -> Int32, commRank: @escaping @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32,
        commSize: @escaping @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32, barrier: @escaping @convention(c) (Handle) -> Int32,
        bcast: @escaping @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32,
        allreduce: @escaping @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32,
        iallreduce:
            @escaping @convention(c) (
                UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle, UnsafeMutablePointer<Handle?>
            ) -> Int32,
        allgather: @escaping @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, Int32, Handle, Handle) -> Int32,
        wait: @escaping @convention(c) (UnsafeMutablePointer<Handle?>, UnsafeMutableRawPointer?) -> Int32,
        test: @escaping @convention(c) (UnsafeMutablePointer<Handle?>, UnsafeMutablePointer<Int32>, UnsafeMutableRawPointer?) -> Int32
    ) {
        (self.world, self.float, self.double, self.byte, self.sum, self.max) = (world, float, double, byte, sum, max)
        (self.initThread, self.finalize, self.commRank, self.commSize, self.barrier) = (initThread, finalize, commRank, commSize, barrier)
        (self.bcast, self.allreduce, self.iallreduce, self.allgather, self.wait, self.test) = (bcast, allreduce, iallreduce, allgather, wait, test)
    }

    /// Stops with one line when an MPI call fails (Open MPI's default handler aborts first).
    func check(_ code: Int32, _ call: String) {
        if code != 0 { DistributedError.exit("\(call) failed with MPI error \(code)") }
    }
}

/// A failure of data-parallel set-up or communication, said in one line.
public struct DistributedError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }

    /// Prints `neuron: <message>` on standard error and ends the process with status 1.
    static func exit(_ message: String) -> Never {
        fputs("neuron: \(message)\n", stderr)
        Glibc.exit(1)
    }
}
