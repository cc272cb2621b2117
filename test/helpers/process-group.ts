// Whether any process of a process group is still alive: `npm start` tests spawn npm detached (its
// own group, as a terminal would) and must see that npm, sh and node are all gone.
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
