// @ts-check
// The whole y-webrtc suite again with `/` sharded: three gateways hold the
// sockets, five topic owners count who listens. Every assertion is the one
// a single object passes.
import { signalSuite } from "./signal-suite.mjs";
import { sharded } from "./space-helpers.mjs";

signalSuite(sharded);
