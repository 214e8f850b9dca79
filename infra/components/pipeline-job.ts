import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import { dataVolume, environment, stackLabels } from '../stack/containers.js';

export interface PipelineJobArgs {
  readonly stack: string;
  /** The job's name in labels and the container name: migrate, generate-and-load, produce, ingest-1, … */
  readonly job: string;
  readonly image: pulumi.Input<string>;
  readonly network: pulumi.Input<string>;
  /** Arguments of `piccha`. */
  readonly command: readonly string[];
  /** Variables the CLI reads; a secret value makes the whole set secret. */
  readonly environment: Record<string, pulumi.Input<string>>;
  /** A one-shot job runs to its end during `pulumi up`; a long-running one is restarted when it fails. */
  readonly kind: 'one-shot' | 'long-running';
  /** Files the job reads, with container paths; their content is an input, so an edit replaces the job. */
  readonly uploads?: readonly { readonly file: string; readonly content: string }[];
  /** Extra labels, such as the hash of what the job applies. */
  readonly labels?: Record<string, string>;
  /** A named volume `piccha-<stack>-<job>` mounted here, for files that must outlive the container; kept on destroy with `retain`. */
  readonly volume?: { readonly containerPath: string; readonly retain: boolean };
}

/** One container of the pipeline image running one `piccha` command. */
export class PipelineJob extends pulumi.ComponentResource {
  readonly container: docker.Container;
  /** Resolves once a one-shot job has exited 0; fails the deployment otherwise. */
  readonly succeeded: pulumi.Output<docker.Container[]>;

  constructor(name: string, args: PipelineJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super('piccha:infra:PipelineJob', name, {}, opts);
    const oneShot = args.kind === 'one-shot';
    const mount = args.volume && { volumeName: dataVolume(`${name}-data`, `piccha-${args.stack}-${args.job}`, args.stack, args.volume.retain, this).name, containerPath: args.volume.containerPath };
    this.container = new docker.Container(
      name,
      {
        name: `piccha-${args.stack}-${args.job}`,
        image: args.image,
        command: [...args.command],
        envs: environment(args.environment),
        networksAdvanced: [{ name: args.network }],
        uploads: args.uploads?.map((upload) => ({ file: upload.file, content: upload.content })),
        ...(mount ? { volumes: [mount] } : {}),
        labels: stackLabels(args.stack, { 'analytics.piccha.job': args.job, ...args.labels }),
        // A one-shot job is attached: `up` waits for it to exit and records its exit code.
        ...(oneShot ? { attach: true, logs: true, mustRun: false, restart: 'no' } : { restart: 'unless-stopped', mustRun: true }),
        // Lets a long-running job finish its batch and commit offsets before it is stopped.
        stopTimeout: 30,
        stopSignal: 'SIGTERM',
      },
      // The job's own container waits for what the job depends on (healthy services, earlier jobs).
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.succeeded = oneShot
      ? this.container.exitCode.apply((code) => {
          if (code !== undefined && code !== 0) throw new Error(`job ${args.job} exited with code ${code}; see \`docker logs piccha-${args.stack}-${args.job}\``);
          return [this.container];
        })
      : pulumi.output([this.container]);
    this.registerOutputs({ container: this.container.name });
  }
}
