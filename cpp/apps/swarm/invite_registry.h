// The swarm's invite codes: one strongly consistent table (a single Durable
// Object) that maps a code to the swarm it was made in, so a joiner lands in
// the host's swarm. Only the swarm app talks to it, through Effects:
//   POST /invites {"swarm"}      → 200 {"code", "expiresAt"}
//   GET  /invites/<CODE>         → 200 {"swarm"} | 404 {"error":"invalid invite code"}
#pragma once
#include "core/manifest.h"

namespace sb::swarm {

inline constexpr Limit kInviteTtlMs{"SWARM_INVITE_TTL_MS", 24 * 60 * 60 * 1000, "how long an invite code admits joiners (ms)"};
inline constexpr const Limit* kRegistryLimits[] = {&kInviteTtlMs};

inline constexpr std::string_view kRegistryBinding = "InviteRegistry";
extern const Manifest kRegistryManifest;
inline constexpr std::string_view kRegistryInstance = "global";

// An invite code as made here: 6 of [0-9A-Z]. Lookups accept 4–16 of them
// (the original client allows manual entry from 4 characters).
bool is_invite_code(std::string_view code);

class InviteRegistry final : public App {
 public:
  using App::App;

  Outcome fetch(const Request& request) override;
  void alarm() override;

 protected:
  void opened(ConnId, const Request&) override {}
  void webSocketMessage(ConnId, Frame&) override {}
  void webSocketClose(ConnId, int, std::string_view) override {}
  void restored(ConnId, const Json&) override {}

 private:
  Response make(const Request& request);
  Response lookup(std::string_view code);
  // Expired codes are refused at lookup; the alarm forgets them, at most once a minute.
  void schedule_purge(double expires_at);
};

}  // namespace sb::swarm
