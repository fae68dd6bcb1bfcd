"""Station siting: where new stations of a force should go (spopt models, HiGHS solver),
fed by the twin's own road travel times, checked by paired simulation."""
