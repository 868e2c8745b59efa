/* routes_tasks: the tasks service's JSON endpoints (api.md "Tasks").
 * Projects, dependencies, the Gantt view and the status settings are not
 * served yet. */
#include "gw_route.h"
#include "tasks.pb-c.h"
#include <stddef.h>

/* A task's optional fields are null when absent, as api.md's task shape. */
static const char *const s_task_nulls[] = {"description", "start_at",    "due_at", "completed_at",
                                           "project_id",  "next_cursor", NULL};

const gw_route_t gw_routes_tasks[] = {
    {"POST", "/api/v1/clients/{client_id}/tasks", GW_AUTH_REQUIRED, "tasks.create",
     &atrium__tasks__create_task_request__descriptor, &atrium__tasks__task__descriptor, 201, 0,
     s_task_nulls},
    {"GET", "/api/v1/clients/{client_id}/tasks", GW_AUTH_REQUIRED, "tasks.list",
     &atrium__tasks__list_tasks_request__descriptor, &atrium__tasks__task_page__descriptor, 200,
     GW_NO_BODY, s_task_nulls},
    {"GET", "/api/v1/tasks/{id}", GW_AUTH_REQUIRED, "tasks.get",
     &atrium__tasks__task_id_request__descriptor, &atrium__tasks__task__descriptor, 200, GW_NO_BODY,
     s_task_nulls},
    {"PATCH", "/api/v1/tasks/{id}", GW_AUTH_REQUIRED, "tasks.update",
     &atrium__tasks__update_task_request__descriptor, &atrium__tasks__task__descriptor, 200, 0,
     s_task_nulls},
    /* completing twice answers the same task: safe to retry */
    {"POST", "/api/v1/tasks/{id}/complete", GW_AUTH_REQUIRED, "tasks.complete",
     &atrium__tasks__task_id_request__descriptor, &atrium__tasks__task__descriptor, 200,
     GW_NO_BODY | GW_IDEMPOTENT, s_task_nulls},
    {"DELETE", "/api/v1/tasks/{id}", GW_AUTH_REQUIRED, "tasks.delete",
     &atrium__tasks__task_id_request__descriptor, NULL, 204, GW_NO_BODY, NULL},
    {NULL, NULL, 0, NULL, NULL, NULL, 0, 0, NULL},
};
