import { join, relative } from 'node:path';
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import { hashFiles, type ContentFile } from '../stack/content-hash.js';

export interface PipelineImageArgs {
  /** The build context's folder (the repository root, holding Dockerfile and .dockerignore). */
  readonly context: string;
  /** The files Docker sends from it (by .dockerignore). */
  readonly contextFiles: readonly ContentFile[];
}

/** Files only the alert evaluator runs; the other jobs do not roll when they change. */
const EVALUATOR_ONLY = 'dashboards/';

/**
 * The pipeline image, built from the repository's Dockerfile. Its tag is a hash of the build
 * context without the dashboards, so the jobs' image reference changes exactly when the code
 * they run changes; a dashboard edit rebuilds the image under the same tag (its hash is a build
 * argument), and the alert evaluator, which runs that code, is replaced through its own label.
 */
export class PipelineImage extends pulumi.ComponentResource {
  readonly imageName: pulumi.Output<string>;
  /** Hash of the dashboards code inside the image. */
  readonly dashboardsHash: string;

  constructor(name: string, args: PipelineImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super('piccha:infra:PipelineImage', name, {}, opts);
    const code = args.contextFiles.filter((file) => !file.path.startsWith(EVALUATOR_ONLY));
    this.dashboardsHash = hashFiles(args.contextFiles.filter((file) => file.path.startsWith(EVALUATOR_ONLY)));
    const tag = hashFiles(code).slice(0, 16);
    // Relative to the project folder Pulumi runs in: the same input in every checkout.
    const context = relative(process.cwd(), args.context) || '.';
    const image = new docker.Image(
      name,
      {
        imageName: `piccha-pipeline:${tag}`,
        build: { context, dockerfile: join(context, 'Dockerfile'), args: { PICCHA_DASHBOARDS_HASH: this.dashboardsHash } },
        skipPush: true,
      },
      { parent: this },
    );
    this.imageName = image.imageName;
    this.registerOutputs({ imageName: this.imageName });
  }
}
