// A value, or the reason there is none: the one way the core and the apps
// return what may be refused. By default the reason is the HTTP refusal to
// answer with (a Response, whose `reason` says why). The toolchain's libc++
// (Emscripten 3.1.6) has no std::expected; this is its subset in use.
#pragma once
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "http.h"

namespace sb {

template <class T, class E = Response>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  // The reason: anything an E is made from that a T is not.
  template <class F>
    requires(std::is_constructible_v<E, F> && !std::is_constructible_v<T, F>)
  Expected(F&& error) : state_(std::in_place_index<1>, std::forward<F>(error)) {}

  explicit operator bool() const { return state_.index() == 0; }
  T& operator*() { return std::get<0>(state_); }
  const T& operator*() const { return std::get<0>(state_); }
  T* operator->() { return &std::get<0>(state_); }
  const T* operator->() const { return &std::get<0>(state_); }
  E& error() { return std::get<1>(state_); }
  const E& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, E> state_;
};

// Done, or the reason it was not.
template <class E>
class [[nodiscard]] Expected<void, E> {
 public:
  Expected() = default;
  template <class F>
    requires std::is_constructible_v<E, F>
  Expected(F&& error) : error_(std::in_place, std::forward<F>(error)) {}

  explicit operator bool() const { return !error_; }
  E& error() { return *error_; }
  const E& error() const { return *error_; }

 private:
  std::optional<E> error_;
};

}  // namespace sb
