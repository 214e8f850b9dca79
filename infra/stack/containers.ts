import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';

/** What every service container of the stack is given: its image, the network, where it publishes and whether its data outlives it. */
export interface ServiceContainerArgs {
  readonly stack: string;
  readonly image: string;
  readonly network: pulumi.Input<string>;
  readonly bindAddress: string;
  readonly retainVolume: boolean;
}


/** The label every resource of the stack carries, so that `docker ps --filter` finds them. */
export const STACK_LABEL = 'analytics.piccha.stack';

export function stackLabels(stack: string, extra: Record<string, string> = {}): docker.types.input.ContainerLabel[] {
  return Object.entries({ [STACK_LABEL]: stack, ...extra })
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([label, value]) => ({ label, value }));
}

/** A container port published on the host, bound to one address only. */
export function publish(internal: number, external: number, bindAddress: string): docker.types.input.ContainerPort {
  return { internal, external, ip: bindAddress, protocol: 'tcp' };
}

/** Docker's health check in seconds, as the provider wants it (durations as strings). */
export function healthcheck(test: string[], seconds: { interval: number; timeout: number; startPeriod: number; retries: number }): docker.types.input.ContainerHealthcheck {
  return {
    tests: test,
    interval: `${seconds.interval}s`,
    timeout: `${seconds.timeout}s`,
    startPeriod: `${seconds.startPeriod}s`,
    retries: seconds.retries,
  };
}

/**
 * Environment variables as Docker wants them (`KEY=value`), in key order so that the list is the
 * same on every run. Any secret value makes the whole list a secret.
 */
export function environment(variables: Record<string, pulumi.Input<string>>): pulumi.Output<string[]> {
  const keys = Object.keys(variables).sort();
  return pulumi.all(keys.map((key) => pulumi.output(variables[key] ?? '').apply((value) => `${key}=${value}`)));
}

/** A pulled image at a pinned version; `pulumi destroy` removes it from the host with the rest of the stack. */
export function pinnedImage(name: string, reference: string, parent: pulumi.Resource): docker.RemoteImage {
  if (!/[:@]/.test(reference) || /:latest$/.test(reference)) throw new Error(`image ${reference} must be pinned to a version`);
  return new docker.RemoteImage(name, { name: reference, keepLocally: false }, { parent });
}

/** A named data volume; with `retain`, `pulumi destroy` leaves it (and its data) in place. */
export function dataVolume(name: string, volumeName: string, stack: string, retain: boolean, parent: pulumi.Resource): docker.Volume {
  return new docker.Volume(name, { name: volumeName, labels: stackLabels(stack) }, { parent, retainOnDelete: retain });
}
