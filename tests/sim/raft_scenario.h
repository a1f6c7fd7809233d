/* raft_scenario: scripted message-level scenarios for the Raft core. */
#pragma once
#include <stdbool.h>

void raft_scenario_test(bool verbose);
