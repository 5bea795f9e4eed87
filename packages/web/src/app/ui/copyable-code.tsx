import { ActionIcon, Box, Code, CopyButton, Tooltip, VisuallyHidden } from '@mantine/core';
import { IconCheck, IconCopy } from '@tabler/icons-react';

interface CopyableCodeProps {
  code: string;
  /** What is copied, for the button's name: "Copy the curl command". */
  label: string;
  onCopied?: () => void;
}

/** A block of code to paste into a terminal, with a copy button named for what it copies. */
export function CopyableCode({ code, label, onCopied }: CopyableCodeProps) {
  return (
    <Box pos="relative">
      <Code block fz="xs" pr={48} style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
        {code}
      </Code>
      <CopyButton value={code} timeout={2000}>
        {({ copied, copy }) => (
          <>
            <Tooltip label={copied ? 'Copied' : 'Copy'} withArrow position="left">
              <ActionIcon
                variant="default"
                onClick={() => {
                  copy();
                  onCopied?.();
                }}
                aria-label={label}
                pos="absolute"
                top={6}
                right={6}
              >
                {copied ? <IconCheck size={16} aria-hidden /> : <IconCopy size={16} aria-hidden />}
              </ActionIcon>
            </Tooltip>
            <VisuallyHidden role="status">{copied ? 'Copied to the clipboard' : ''}</VisuallyHidden>
          </>
        )}
      </CopyButton>
    </Box>
  );
}
