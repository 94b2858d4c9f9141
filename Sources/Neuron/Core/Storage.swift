/// A block of device memory holding a tensor's elements. Views share one storage.
///
/// The address is opaque: only the backend that allocated it interprets it (a host pointer on
/// the CPU, a device pointer on a GPU). Blocks come from the backend's size-class cache, so the
/// buffers of a training step are reused from one step to the next.
final class Storage {
    /// Backends live as long as the process, so the reference is not counted (a retain and a
    /// release per tensor otherwise).
    unowned(unsafe) let backend: any Backend
    let device: Device
    private(set) var address: UInt
    private(set) var capacity: Int
    /// Bumped by every in-place write (`assign`, `fill`, optimiser updates), shared by views,
    /// so backward can tell that a tensor it saved has changed since (PyTorch's version counter).
    var version = 0
    /// Set while a CPU activation is stored channel-blocked (oneDNN's nChw8c / nChw16c) rather
    /// than row-major; the first host read that is not layout-aware converts it back.
    var blocking: ChannelBlocking?

    init(byteCount: Int, device: Device) {
        let backend = device.backend
        (address, capacity) = backend.allocate(byteCount: byteCount)
        self.backend = backend
        self.device = device
    }

    deinit { backend.release(address: address, capacity: capacity) }

    /// Moves the elements into a new block of memory that `fill` writes (from the old one),
    /// releasing the old block: how a layout changes under every view of the storage.
    func replaceMemory(_ fill: (_ from: UnsafeRawPointer, _ to: UnsafeMutableRawPointer) -> Void) {
        let (newAddress, newCapacity) = backend.allocate(byteCount: capacity)
        fill(UnsafeRawPointer(bitPattern: address)!, UnsafeMutableRawPointer(bitPattern: newAddress)!)
        backend.release(address: address, capacity: capacity)
        (address, capacity) = (newAddress, newCapacity)
    }
}
