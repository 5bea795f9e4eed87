import { IconKey } from '@tabler/icons-react';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { ComingSoon } from '../../app/ui/coming-soon';
import { PageHeader } from '../../app/ui/page-header';

export function ApiKeysPage() {
  const workspace = useCurrentWorkspace();
  return (
    <>
      <PageHeader
        title="API Keys"
        documentTitle={`API Keys · ${workspace.name}`}
        description="Keys let SDKs send events and reporting tools query analytics for this workspace."
      />
      <ComingSoon icon={IconKey}>
        API Keys will list this workspace&apos;s keys with their role, scopes, status and last use, and let owners and
        admins create and revoke them.
      </ComingSoon>
    </>
  );
}
