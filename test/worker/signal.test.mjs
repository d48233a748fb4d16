// @ts-check
// y-webrtc signaling on one object per shard (the default).
import { signalSuite } from "./signal-suite.mjs";

signalSuite({});
