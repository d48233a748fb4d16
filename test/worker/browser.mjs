// Debian's headless Chromium for the suites that run real pages.
import { chromium } from "playwright-core";

export function launchChromium() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    // No network here: no background fetches, and real host candidates instead of mDNS names.
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-features=WebRtcHideLocalIpsWithMdns"],
  });
}
