// The tests run side by side, a fixture at a time each: most of a lab's time is waiting (handshakes, SSH, sleeps),
// and every lab has namespaces, a LAN and a link of its own (Flatnet.Lab.LabRegistry), so labs never meet. A
// fixture that touches process-wide state says [NonParallelizable].
[assembly: Parallelizable(ParallelScope.Fixtures)]
[assembly: LevelOfParallelism(4)]
