// Blocks of fibers: each CUDA thread of a block is a fiber with its own stack, run until it
// finishes or waits at a barrier; a barrier opens when every running thread of the block
// (__syncthreads) or of the warp (__syncwarp, shuffles) waits at it.
#include "emulator.h"
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <sys/mman.h>
#include <vector>

// Saves the callee-saved registers on the current stack and its pointer in *save, then
// resumes the stack `to` (a fiber's, or the scheduler's).
extern "C" void nk_emu_switch(void **save, void *to);
asm(R"(
    .text
    .globl nk_emu_switch
    .hidden nk_emu_switch
    .type nk_emu_switch,@function
nk_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size nk_emu_switch, .-nk_emu_switch
)");

namespace nk_emu {
thread_local ThreadCoordinates *current = nullptr;

namespace {
enum class State { ready, blockBarrier, warpBarrier, done };

struct Fiber {
    void *sp = nullptr;
    State state = State::ready;
    ThreadCoordinates coordinates;
};

constexpr size_t stackBytes = 256 << 10;
constexpr unsigned maxThreads = 1024;

struct Block {
    std::vector<Fiber> fibers;
    std::vector<uint64_t> slots;
    char *stacks = nullptr;
    void *schedulerSP = nullptr;
    Fiber *running = nullptr;
    const ThreadBody *body = nullptr;
};
thread_local Block block;

std::map<std::string, Binder> &registry() {
    static std::map<std::string, Binder> kernels;
    return kernels;
}

void yield(State state) {
    block.running->state = state;
    nk_emu_switch(&block.running->sp, block.schedulerSP);
}

void fiberEntry() {
    (*block.body)();
    yield(State::done);
    __builtin_unreachable();
}

void *initialStack(char *top) {
    void **sp = (void **)((uintptr_t)top & ~(uintptr_t)15);
    *--sp = nullptr;                // return address of fiberEntry (never used)
    *--sp = (void *)&fiberEntry;    // where nk_emu_switch returns to
    for (int i = 0; i < 6; i++) *--sp = nullptr;  // rbp, rbx, r12–r15
    return sp;
}

void runBlock(dim3 blockIndex, dim3 grid, dim3 shape) {
    const unsigned threads = shape.x * shape.y * shape.z;
    if (!block.stacks) {
        block.stacks = (char *)mmap(nullptr, stackBytes * maxThreads, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (block.stacks == MAP_FAILED) {
            fprintf(stderr, "CUDA emulator: cannot reserve fiber stacks\n");
            abort();
        }
    }
    block.fibers.assign(threads, Fiber());
    block.slots.assign(threads, 0);
    for (unsigned t = 0; t < threads; t++) {
        Fiber &f = block.fibers[t];
        f.coordinates.threadIndex = dim3{t % shape.x, (t / shape.x) % shape.y, t / (shape.x * shape.y)};
        f.coordinates.blockIndex = blockIndex;
        f.coordinates.blockShape = shape;
        f.coordinates.gridShape = grid;
        f.coordinates.linear = t;
        f.sp = initialStack(block.stacks + stackBytes * (t + 1));
    }
    for (;;) {
        for (Fiber &f : block.fibers) {
            if (f.state != State::ready) continue;
            block.running = &f;
            current = &f.coordinates;
            nk_emu_switch(&block.schedulerSP, f.sp);
        }
        // Every fiber has finished or waits: open the barriers that everyone reached.
        bool live = false, allAtBlock = true, released = false;
        for (Fiber &f : block.fibers) {
            if (f.state == State::done) continue;
            live = true;
            allAtBlock = allAtBlock && f.state == State::blockBarrier;
        }
        if (!live) break;
        if (allAtBlock) {
            for (Fiber &f : block.fibers)
                if (f.state != State::done) f.state = State::ready;
            continue;
        }
        for (unsigned warp = 0; warp < threads; warp += 32) {
            bool waiting = false, all = true;
            for (unsigned t = warp; t < threads && t < warp + 32; t++) {
                State s = block.fibers[t].state;
                if (s == State::done) continue;
                waiting = true;
                all = all && s == State::warpBarrier;
            }
            if (!waiting || !all) continue;
            for (unsigned t = warp; t < threads && t < warp + 32; t++)
                if (block.fibers[t].state == State::warpBarrier) block.fibers[t].state = State::ready;
            released = true;
        }
        if (!released) {
            fprintf(stderr, "CUDA emulator: threads of block (%u, %u, %u) wait at different barriers\n",
                    blockIndex.x, blockIndex.y, blockIndex.z);
            abort();
        }
    }
    current = nullptr;
}
}  // namespace

Registration::Registration(const char *name, Binder binder) { registry()[name] = binder; }

Binder find_kernel(const char *name) {
    auto it = registry().find(name);
    return it == registry().end() ? nullptr : it->second;
}

void block_barrier() { yield(State::blockBarrier); }
void warp_barrier() { yield(State::warpBarrier); }
uint64_t &exchange_slot(unsigned linear) { return block.slots[linear]; }
unsigned block_threads() { return (unsigned)block.fibers.size(); }

void run_grid(const ThreadBody &body, dim3 grid, dim3 shape) {
    if (shape.x * shape.y * shape.z > maxThreads) {
        fprintf(stderr, "CUDA emulator: %u threads per block exceed %u\n", shape.x * shape.y * shape.z, maxThreads);
        abort();
    }
    block.body = &body;
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) runBlock(dim3{x, y, z}, grid, shape);
    block.body = nullptr;
}
}  // namespace nk_emu
