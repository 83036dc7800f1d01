// Each test file runs in its own namespace: two files with the same name in different folders
// once shared one, and the workflow test's alerts manager terminated the integration test's.
import * as path from 'node:path';
import { namespaceForFile, namespacesForFiles, ROOT } from '../setup/shared';

const dist = (p: string): string => path.join(ROOT, 'dist', 'test', p);

describe('test namespaces', () => {
  it('are named by the path under the test folder', () => {
    expect(namespaceForFile(dist('workflows/alerts.test.js'))).toBe('t-workflows-alerts');
    expect(namespaceForFile(dist('integration/alerts.test.js'))).toBe('t-integration-alerts');
    expect(namespaceForFile(path.join(ROOT, 'test', 'unit', 'alerts-config.test.ts'))).toBe(
      't-unit-alerts-config',
    );
  });

  it('refuses two files that would share one', () => {
    expect(() => namespacesForFiles([dist('a/b-c.test.js'), dist('a-b/c.test.js')])).toThrow(
      /would share the namespace t-a-b-c/,
    );
    expect(
      namespacesForFiles([dist('workflows/backup.test.js'), dist('integration/backup.test.js')]),
    ).toEqual(['t-workflows-backup', 't-integration-backup']);
  });
});
