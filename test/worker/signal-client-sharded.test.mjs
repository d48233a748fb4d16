// The stock y-webrtc client on a sharded `/`.
import { signalClientSuite } from "./signal-client-suite.mjs";
import { sharded } from "./space-helpers.mjs";

signalClientSuite(sharded, () => "/");
