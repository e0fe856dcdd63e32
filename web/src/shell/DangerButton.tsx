// A destructive action's button (cancel, revoke, delete, force-release): quiet until it is
// hovered or focused (red text on a light red ground), filled red then, so it does not draw the
// eye on a page full of actions. Always pair it with a confirmation (ConfirmDialog or a modal).
import { Button, type ButtonProps } from '@mantine/core';
import type { ComponentPropsWithoutRef } from 'react';
import classes from './DangerButton.module.css';

export type DangerButtonProps = ButtonProps & Omit<ComponentPropsWithoutRef<'button'>, keyof ButtonProps>;

export function DangerButton({ className, ...props }: DangerButtonProps) {
  return <Button variant="light" color="red" data-danger="true" className={[classes.danger, className].filter(Boolean).join(' ')} {...props} />;
}
