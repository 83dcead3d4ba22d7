// Facts about the machine and session, shared by the environment checks and the credential checks.

import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

type Env = Readonly<Record<string, string | undefined>>;

const CI_VARIABLES = ['CI', 'GITHUB_ACTIONS', 'TF_BUILD', 'GITLAB_CI', 'JENKINS_URL', 'BUILDKITE', 'CIRCLECI', 'TEAMCITY_VERSION', 'CODEBUILD_BUILD_ID'];

export function isCi(env: Env): string | undefined {
  for (const v of CI_VARIABLES) {
    const val = env[v];
    if (val && val.toLowerCase() !== 'false' && val !== '0') return v;
  }
  return undefined;
}

/** No way to show a browser or an account picker here. */
export function isHeadless(env: Env, platform: NodeJS.Platform = process.platform): boolean {
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd') {
    return !env.DISPLAY && !env.WAYLAND_DISPLAY && !env.BROWSER;
  }
  // A remote shell on macOS or Windows cannot open the desktop's browser for the user either.
  return !!(env.SSH_CONNECTION || env.SSH_TTY);
}

export function inContainer(env: Env): boolean {
  if (env.KUBERNETES_SERVICE_HOST || env.container) return true;
  if (existsSync('/.dockerenv') || existsSync('/run/.containerenv')) return true;
  try {
    return /docker|kubepods|containerd|lxc/.test(readFileSync('/proc/1/cgroup', 'utf8'));
  } catch {
    return false;
  }
}

export function platformFacts(env: Env): Record<string, string | boolean> {
  return {
    os: `${process.platform} ${os.release()}`,
    arch: process.arch,
    node: process.version,
    headless: isHeadless(env),
    ci: isCi(env) ?? false,
    container: inContainer(env),
    wsl: !!env.WSL_DISTRO_NAME,
    vscode: !!env.VSCODE_PID,
  };
}
