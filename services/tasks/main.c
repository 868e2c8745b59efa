/* atrium-tasks: the tasks service process; everything else is at_service. */
#include "at_service.h"

extern const at_service_def_t tasks_service;

int main(int argc, char **argv)
{
    return at_service_main(argc, argv, &tasks_service);
}
