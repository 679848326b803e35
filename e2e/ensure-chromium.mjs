#!/usr/bin/env node
// Makes sure the Debian Chromium the e2e tests drive is installed: installs it when running as
// root, otherwise explains how. CHROMIUM_PATH points the tests at another binary.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const path = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (existsSync(path)) process.exit(0);

if (process.env.CHROMIUM_PATH) {
  console.error(`CHROMIUM_PATH=${path} does not exist. Point it at a Chromium binary, or unset it to use /usr/bin/chromium.`);
  process.exit(1);
}
const root = typeof process.getuid === 'function' && process.getuid() === 0;
if (!root) {
  console.error(
    [
      'The e2e tests need Chromium at /usr/bin/chromium, and it is not installed.',
      'Install it with:   sudo apt-get update && sudo apt-get install -y chromium',
      'or point CHROMIUM_PATH at another Chromium binary.',
    ].join('\n'),
  );
  process.exit(1);
}
console.log('Chromium is missing: installing it with apt-get (running as root)...');
try {
  execSync('apt-get update && apt-get install -y chromium', { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
} catch {
  console.error('apt-get could not install chromium; install it by hand: apt-get update && apt-get install -y chromium');
  process.exit(1);
}
if (!existsSync(path)) {
  console.error(`apt-get finished but ${path} is still missing.`);
  process.exit(1);
}
