// jstat ships no types; this declares the one function evaltrack uses.
declare module 'jstat' {
  const jStat: {
    studentt: {
      /** The p-quantile of Student's t distribution with `dof` degrees of freedom. */
      inv(p: number, dof: number): number;
    };
  };
  export default jStat;
}
