import { Command, Option } from 'commander';
import { diffSnapshots, formatPlan } from '../../../infra/plan/diff.js';
import { extractRef } from '../../../infra/plan/git-tree.js';
import { takeSnapshot } from '../../../infra/plan/snapshot.js';
import { projectRoot } from '../../config/project-root.js';
import { UserError } from '../../errors/user-error.js';

export function planCommand(): Command {
  return new Command('plan')
    .description("what a change does to the Docker stack, in a reviewer's terms: migrations, dashboards and panels, alert thresholds, images, setting defaults")
    .option('--base <ref>', 'the git ref to compare the working tree with', 'main')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: { base: string; format: 'text' | 'json' }) => {
      const repository = projectRoot();
      let base: { root: string; remove: () => void };
      try {
        base = extractRef(repository, options.base);
      } catch (error) {
        throw new UserError((error as Error).message);
      }
      try {
        const sections = diffSnapshots(await takeSnapshot(base.root), await takeSnapshot(repository));
        process.stdout.write(options.format === 'json' ? `${JSON.stringify({ base: options.base, sections }, null, 2)}\n` : formatPlan(sections, options.base, 'the working tree'));
      } finally {
        base.remove();
      }
    });
}
