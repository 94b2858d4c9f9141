// The emulator's internals: the kernel registry, the block scheduler and the queue that
// graph capture records.
#pragma once
#include "device.h"
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace nk_emu {
/// A launch's kernel with its arguments bound, run once per thread.
using ThreadBody = std::function<void()>;
/// Reads a kernel's arguments from cuLaunchKernel's `void **` and binds them.
using Binder = ThreadBody (*)(void **);

struct Registration {
    Registration(const char *name, Binder binder);
};
Binder find_kernel(const char *name);

/// Runs `body` for every thread of every block, blocks one after another.
void run_grid(const ThreadBody &body, dim3 grid, dim3 block);

/// Runs `work` now, or records it while the stream is being captured.
void enqueue(std::function<void()> work);

template <typename T>
using Value = std::remove_cv_t<std::remove_reference_t<T>>;

template <typename... A, size_t... I>
ThreadBody bind_arguments(void (*kernel)(A...), void **parameters, std::index_sequence<I...>) {
    std::tuple<Value<A>...> arguments{*static_cast<Value<A> *>(parameters[I])...};
    return [kernel, arguments]() { std::apply(kernel, arguments); };
}
template <typename... A>
ThreadBody bind_arguments(void (*kernel)(A...), void **parameters) {
    return nk_emu::bind_arguments(kernel, parameters, std::index_sequence_for<A...>{});
}
}  // namespace nk_emu

/// Makes the kernel `name` launchable by name.
#define NK_EMULATE(name) \
    static nk_emu::Registration nk_registration_##name(#name, [](void **p) { return nk_emu::bind_arguments(name, p); });
