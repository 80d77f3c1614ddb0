// SPDX-License-Identifier: Apache-2.0
// File: Task, a move-only `void()` callable with small-buffer storage, so posting a
// small lambda (up to 48 bytes of captures) to a Strand does not allocate.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace loqui {

class Task {
 public:
  static constexpr std::size_t kInlineBytes = 48;

 private:
  struct Ops {
    void (*call)(Task&);
    void (*move)(Task& dst, Task& src) noexcept;
    void (*destroy)(Task&) noexcept;
    bool inline_storage;
  };
  const Ops* ops_ = nullptr;
  union {
    alignas(std::max_align_t) unsigned char buf_[kInlineBytes];
    void* heap_;
  };

 public:
  Task() noexcept = default;
  Task(std::nullptr_t) noexcept {}  // NOLINT

  template <class F>
    requires(!std::is_same_v<std::decay_t<F>, Task> && std::is_invocable_r_v<void, std::decay_t<F>&>)
  Task(F&& f) {  // NOLINT: implicit like std::function
    using Fn = std::decay_t<F>;
    if constexpr (sizeof(Fn) <= kInlineBytes && alignof(Fn) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<Fn>) {
      ::new (static_cast<void*>(buf_)) Fn(std::forward<F>(f));
      ops_ = &inline_ops<Fn>;
    } else {
      heap_ = new Fn(std::forward<F>(f));
      ops_ = &heap_ops<Fn>;
    }
  }

  Task(Task&& other) noexcept { move_from(other); }
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      reset();
      move_from(other);
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }
  /// Runs the callable. Calling an empty Task does nothing.
  void operator()() {
    if (ops_) ops_->call(*this);
  }
  void reset() noexcept {
    if (ops_) {
      ops_->destroy(*this);
      ops_ = nullptr;
    }
  }
  /// True if the callable is stored inline (no heap allocation).
  bool is_inline() const noexcept { return ops_ != nullptr && ops_->inline_storage; }

 private:
  template <class Fn>
  static constexpr Ops inline_ops{
      [](Task& t) { (*std::launder(reinterpret_cast<Fn*>(t.buf_)))(); },
      [](Task& dst, Task& src) noexcept {
        Fn* s = std::launder(reinterpret_cast<Fn*>(src.buf_));
        ::new (static_cast<void*>(dst.buf_)) Fn(std::move(*s));
        s->~Fn();
      },
      [](Task& t) noexcept { std::launder(reinterpret_cast<Fn*>(t.buf_))->~Fn(); },
      true};
  template <class Fn>
  static constexpr Ops heap_ops{
      [](Task& t) { (*static_cast<Fn*>(t.heap_))(); },
      [](Task& dst, Task& src) noexcept { dst.heap_ = src.heap_; src.heap_ = nullptr; },
      [](Task& t) noexcept { delete static_cast<Fn*>(t.heap_); },
      false};

  void move_from(Task& other) noexcept {
    if (other.ops_) {
      other.ops_->move(*this, other);
      ops_ = other.ops_;
      other.ops_ = nullptr;
    }
  }

};

}  // namespace loqui
